"""A damaged index directory: each store truncated, deleted or garbled on disk, for
real. A reader refuses it with one line naming the fix; the writer repairs it, says
so, and ends with the same answers as before, embedding nothing twice."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from embedding.conftest import EMBED, traced_hashes
from helpers import kenning_env
from kenning.core.settings import Settings
from kenning.engine import Engine
from kenning.pipeline.embedder import TRACE_ENV
from kenning.storage.index_dir import IndexDamaged, IndexError_, IndexIncomplete

SOURCES = {
    f"m{i}.py": f'def parse_header_{i}(x):\n    """Parse header number {i}."""\n'
    f"    return x + {i}\n\n\nclass Reader{i}:\n    def read(self):\n"
    f"        return parse_header_{i}(1)\n"
    for i in range(1, 4)
}


# A search loads the embedding model (a few hundred MiB): far below this unless the
# garbled file makes it read without bound.
SEARCH_MEMORY_BOUND = 2 * 2**30


def kenning_dir(root: Path) -> Path:
    return root / ".kenning"


def fragment(root: Path, table: str = "chunks") -> Path:
    return sorted((kenning_dir(root) / "chunks" / f"{table}.lance" / "data").glob("*.lance"))[0]


def vector_table(root: Path) -> Path:
    return next((kenning_dir(root) / "chunks").glob("vectors_*.lance"))


def truncate(path: Path, size: int | None = None) -> None:
    os.truncate(path, path.stat().st_size // 2 if size is None else size)


def garble(path: Path, offset: int, length: int) -> None:
    with open(path, "r+b") as out:
        out.seek(offset)
        out.write(bytes((7 * i + 13) % 256 for i in range(length)))


def text_index_folders(root: Path) -> list[Path]:
    indices = kenning_dir(root) / "chunks" / "chunks.lance" / "_indices"
    return [p for p in indices.iterdir() if (p / "metadata.lance").exists()]


def delete_text_indexes(root: Path) -> None:
    for folder in text_index_folders(root):
        shutil.rmtree(folder)


def garble_manifests(root: Path) -> None:
    for manifest in (kenning_dir(root) / "chunks" / "chunks.lance" / "_versions").glob(
        "*.manifest"
    ):
        garble(manifest, 0, 64)


def status_file(root: Path) -> Path:
    return kenning_dir(root) / "embed-status.sqlite"


DAMAGE: dict[str, Callable[[Path], object]] = {
    "fragment truncated": lambda r: truncate(fragment(r)),
    "fragment deleted": lambda r: fragment(r).unlink(),
    "fragment garbled at its footer": lambda r: garble(
        fragment(r), fragment(r).stat().st_size - 40, 40
    ),
    "full-text index deleted": delete_text_indexes,
    "manifest garbled": garble_manifests,
    "_versions deleted": lambda r: shutil.rmtree(
        kenning_dir(r) / "chunks" / "chunks.lance" / "_versions"
    ),
    "chunks folder deleted": lambda r: shutil.rmtree(kenning_dir(r) / "chunks"),
    "vector table deleted": lambda r: shutil.rmtree(vector_table(r)),
    "status file truncated": lambda r: truncate(status_file(r)),
    "status file header garbled": lambda r: garble(status_file(r), 0, 100),
    "status file deleted": lambda r: status_file(r).unlink(),
    "graph truncated to 0 bytes": lambda r: truncate(kenning_dir(r) / "graph", 0),
    "graph truncated": lambda r: truncate(kenning_dir(r) / "graph"),
    "graph garbled": lambda r: garble(kenning_dir(r) / "graph", 8192, 4096),
    "loading marker left by a killed bulk load": lambda r: (kenning_dir(r) / "loading").write_text(
        "x"
    ),
}
# Damage after which stored vectors survive: nothing may be embedded again.
VECTORS_SURVIVE = {name for name in DAMAGE if name not in ("vector table deleted",
                                                           "chunks folder deleted")}  # fmt: skip


def indexed_sources(folder: Path, settings: Settings, embed: bool) -> Path:
    """`SOURCES` written to `folder`/ws (a git root) and indexed, embedded too with
    `embed`: the pristine index that each test damages a copy of."""
    root = folder / "ws"
    root.mkdir()
    (root / ".git").mkdir()
    for name, text in SOURCES.items():
        (root / name).write_text(text)
    with Engine.open(root, settings) as engine:
        engine.index()
        if embed:
            engine.embed()
    return root


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return indexed_sources(tmp_path_factory.mktemp("pristine"), EMBED, embed=True)


def answers(engine: Engine) -> tuple[list[str], list[str]]:
    hits = engine.search("parse header number 2", limit=3)
    return [h.symbol_id for h in hits.hits][:1], [s.id for s in engine.symbols("Reader3")][:1]


# One case per store in the developer's loop (`-m "not slow"`); all of them in the slow tier.
FAST = {"fragment garbled at its footer", "status file header garbled", "graph truncated",
        "loading marker left by a killed bulk load"}  # fmt: skip


@pytest.mark.parametrize(
    "damage", [d if d in FAST else pytest.param(d, marks=pytest.mark.slow) for d in DAMAGE]
)
def test_damage_is_refused_by_readers_and_repaired_by_the_writer(
    damage: str, pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(pristine, root)
    with Engine.open(root, EMBED, read_only=True) as reader:
        expected = answers(reader)
    assert expected == (["m2.py#parse_header_2"], ["m3.py#Reader3"])
    DAMAGE[damage](root)

    with pytest.raises(IndexError_) as refused:
        Engine.open(root, EMBED, read_only=True).close()
    message = str(refused.value)
    if isinstance(refused.value, IndexIncomplete):
        assert "run `kenning index` to finish it" in message
    else:
        assert isinstance(refused.value, IndexDamaged), message
        assert "run `kenning index --rebuild`" in message
    assert "\n" not in message

    trace = tmp_path / "trace.txt"
    monkeypatch.setenv(TRACE_ENV, str(trace))
    with Engine.open(root, EMBED) as writer:
        if not isinstance(refused.value, IndexIncomplete):
            assert "was damaged" in writer.repairs, writer.repairs
        writer.index()
        progress = writer.embed()
        assert progress.state != "error", progress
    if damage in VECTORS_SURVIVE:
        assert traced_hashes(trace) == [], "texts with a stored vector were embedded again"

    with Engine.open(root, EMBED, read_only=True) as reader:
        assert answers(reader) == expected
        assert reader.embedding_status().coverage == 1.0


def test_a_lock_that_is_a_folder_is_replaced(pristine: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(pristine, root)
    lock = kenning_dir(root) / "lock"
    lock.unlink()
    lock.mkdir()
    with Engine.open(root, EMBED) as writer:
        assert writer.index().mode == "unchanged"
    assert lock.is_file()


def test_an_index_folder_that_is_a_file_is_refused_then_replaced_by_a_rebuild(
    pristine: Path, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(pristine, root)
    shutil.rmtree(kenning_dir(root))
    kenning_dir(root).write_text("not an index")
    for read_only in (True, False):
        with pytest.raises(IndexError_, match=r"is a file.*kenning index --rebuild"):
            Engine.open(root, EMBED, read_only=read_only).close()
    with Engine.open(root, EMBED, rebuild=True) as writer:
        assert writer.index().files == 3


@pytest.mark.slow
@pytest.mark.parametrize("where", [0.25, 0.5, 0.75])
def test_a_fragment_garbled_mid_page_keeps_a_search_bounded(
    where: float, pristine: Path, tmp_path: Path
) -> None:
    """The campaign saw `kenning search` grow to 23 GB on a garbled fragment. Garbled
    in the middle of its pages (which the cheap check at open does not read), the
    fragment may give garbled text, but the search ends, without a traceback, in
    bounded memory (its RSS sampled while it runs)."""
    root = tmp_path / "ws"
    shutil.copytree(pristine, root)
    data = fragment(root)
    size = data.stat().st_size
    garble(data, int(size * where), max(64, size // 8))
    search = subprocess.Popen(
        [sys.executable, "-m", "kenning", "search", "parse header number 2", "--json"],
        cwd=root, env=kenning_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    peak = 0
    process = psutil.Process(search.pid)
    while search.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, process.memory_info().rss)
        try:
            search.wait(0.05)
        except subprocess.TimeoutExpired:
            if peak > SEARCH_MEMORY_BOUND:
                search.kill()
    out, err = search.communicate(timeout=120)
    assert peak <= SEARCH_MEMORY_BOUND, f"{peak / 2**20:.0f} MiB"
    assert "Traceback" not in err and "panicked" not in err, err
    assert search.returncode in (0, 4), (search.returncode, out, err)
