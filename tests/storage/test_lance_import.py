"""LanceDB imported without its REST client's package `__init__` (`lance_import.py`)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kenning.storage.lance_import import defer_package_init


def _run(code: str, cwd: Path | None = None) -> str:
    """`code` in a fresh interpreter (this one may have imported LanceDB already)."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_chunk_store_works_without_running_the_rest_clients_init(tmp_path: Path) -> None:
    out = _run(
        f"""
        import sys
        import pyarrow as pa
        from kenning.storage.chunks import connect

        db, _ = connect({str(tmp_path / "chunks")!r})
        rows = pa.table({{"id": [1, 2], "words": ["open file", "close socket"]}})
        table = db.create_table("t", rows)
        table.create_fts_index("words")
        hits = table.search("socket", query_type="fts").limit(5).to_list()
        print("hits", [h["id"] for h in hits])
        print("client init ran", "lance_namespace_urllib3_client.api" in sys.modules)
        # The package answers for itself once asked: its `__init__` runs then.
        from lance_namespace_urllib3_client import ApiClient, Configuration
        ran = "lance_namespace_urllib3_client.api" in sys.modules
        print("after asking", ran, ApiClient.__name__)
        """
    )
    assert "hits [2]" in out
    assert "client init ran False" in out
    assert "after asking True ApiClient" in out


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A package `deferpkg` whose `__init__` counts its runs in `deferpkg_log`."""
    root = tmp_path / "deferpkg"
    root.mkdir()
    (tmp_path / "deferpkg_log.py").write_text("runs = []\n")
    (root / "__init__.py").write_text(
        "import deferpkg_log\ndeferpkg_log.runs.append(1)\nNAME = 'set by init'\n"
        "from deferpkg.sub import VALUE\n"
    )
    (root / "sub.py").write_text("VALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("deferpkg", "deferpkg.sub", "deferpkg_log"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return "deferpkg"


def test_deferred_package_runs_its_init_once_when_first_asked(package: str) -> None:
    import deferpkg_log  # type: ignore[import-not-found]

    assert defer_package_init(package)
    import deferpkg.sub  # type: ignore[import-not-found]

    assert deferpkg.sub.VALUE == 42
    assert deferpkg_log.runs == []  # a submodule imports without the package's __init__
    from deferpkg import NAME

    assert NAME == "set by init"
    assert deferpkg.VALUE == 42
    assert deferpkg_log.runs == [1]
    with pytest.raises(AttributeError):
        _ = deferpkg.missing
    assert deferpkg_log.runs == [1]  # a missing name does not run it again


def test_an_imported_or_missing_package_is_left_alone(package: str) -> None:
    import deferpkg

    assert not defer_package_init(package)
    assert sys.modules[package] is deferpkg
    assert not defer_package_init("no_such_package_kenning")
    assert not defer_package_init("json.decoder")  # a plain module
