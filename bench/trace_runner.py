"""Run a package's test suite under `sys.setprofile` and record who called what, where.

Runs inside the throwaway virtualenv that `call_trace.py` makes for one corpus, with
only the standard library and pytest: `python trace_runner.py PKG_DIR OUT.json --
PYTEST_ARGS...`. Every call whose *calling* frame runs code under `PKG_DIR` is
counted by (caller code, line of the call, callee): the callee is a Python function
(in the package or not) or a builtin (`c_call`). `call_trace.py` maps code objects to
kenning's symbols.

Generators and coroutines report a `call` event each time they resume; the resuming
line is recorded like any other call (`for x in self._items():` resumes `_items` on
the line that names it, so this mostly repeats real pairs).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from types import CodeType, FrameType
from typing import Any


def main() -> int:
    package_dir, out_path = os.path.realpath(sys.argv[1]), sys.argv[2]
    pytest_args = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else []
    prefix = package_dir + os.sep
    counts: dict[tuple[CodeType, int, Any], int] = {}
    inside: dict[str, bool] = {}

    def in_package(filename: str) -> bool:
        known = inside.get(filename)
        if known is None:
            known = inside[filename] = os.path.realpath(filename).startswith(prefix)
        return known

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        key: tuple[CodeType, int, Any]
        if event == "call":
            back = frame.f_back
            if back is None or not in_package(back.f_code.co_filename):
                return
            key = (back.f_code, back.f_lineno, frame.f_code)
        elif event == "c_call":
            if not in_package(frame.f_code.co_filename):
                return
            key = (frame.f_code, frame.f_lineno, None)
        else:
            return
        counts[key] = counts.get(key, 0) + 1

    import pytest

    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        code = pytest.main(["-p", "no:cacheprovider", *pytest_args])
    finally:
        sys.setprofile(None)
        threading.setprofile(None)

    def where(c: CodeType) -> list[Any]:
        return [os.path.realpath(c.co_filename), c.co_firstlineno, c.co_qualname]

    rows = []
    for (caller, line, callee), n in counts.items():
        if callee is None:
            target: list[Any] = ["builtin", "", 0, ""]
        elif in_package(callee.co_filename):
            target = ["package", *where(callee)]
        else:
            target = ["python", *where(callee)]
        rows.append([*where(caller), line, *target, n])
    with open(out_path, "w", encoding="utf-8") as out:
        json.dump({"package_dir": package_dir, "pytest_exit": int(code), "rows": rows}, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
