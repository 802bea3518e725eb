"""Throughput of Python extraction (parse + facts + chunks) over real files.

Usage: python bench/parse_python.py [DIR_OR_FILE ...]  (default: the stdlib's
argparse.py, typing.py and the whole stdlib top level). Prints lines per second of
single-threaded `extract_facts`, the best of three rounds.
"""

from __future__ import annotations

import sys
import sysconfig
import time
from pathlib import Path

from kenning.languages.python import PYTHON


def _files(args: list[str]) -> list[Path]:
    if not args:
        args = [sysconfig.get_paths()["stdlib"]]
    files: list[Path] = []
    for arg in args:
        path = Path(arg)
        files.extend(sorted(path.glob("*.py")) if path.is_dir() else [path])
    return files


def main() -> None:
    files = _files(sys.argv[1:])
    sources = [(f.name, f.read_bytes()) for f in files]
    lines = sum(source.count(b"\n") for _, source in sources)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for name, source in sources:
            PYTHON.extract_facts(name, source, name.removesuffix(".py"))
        best = min(best, time.perf_counter() - start)
    print(
        f"{len(sources)} files, {lines} lines: {best * 1000:.0f} ms, "
        f"{lines / best:,.0f} lines/s, {best * 1000 / lines * 100:.2f} ms per 100 lines"
    )


if __name__ == "__main__":
    main()
