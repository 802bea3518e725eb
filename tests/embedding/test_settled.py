"""A start with every text embedded skips the embedding pool, and stays correct: chunks
written by a writer killed before it queued them, a half-embedded index, vectors lost
and edits after such a start are all still embedded. (A model change re-embeds: see
`test_pool.py::test_changing_the_model_reembeds_then_switches_search_over`, whose
second start finds the first model's record.)"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import Workspace, kenning_env
from kenning.engine import Engine
from kenning.engine.live import LiveWorkspace
from kenning.pipeline.embedder import EmbedProgress
from kenning.storage.vectors import table_name

from .conftest import EMBED, traced_hashes

# The real model, in process and in killed processes: the slow tier.
pytestmark = pytest.mark.slow

FILES = {
    "shop/__init__.py": "",
    "shop/cart.py": '''
        def total_price(items):
            """Add up what the items in the cart cost."""
            return sum(item.price for item in items)
        ''',
    "shop/tax.py": '''
        def vat_rate(country):
            """The value added tax rate of a country."""
            return 0.2
        ''',
}
NEW_FILE = (
    "shop/shipping.py",
    'def shipping_cost(weight):\n    """What sending a parcel costs."""\n    return 5 * weight\n',
)

# Opens the index as its writer, writes one file's rows the way an edit does (graph and
# chunks), and is killed before it queues the file's texts for embedding.
WRITE_THEN_DIE = """
import os, signal, sys
from pathlib import Path
from kenning.core.settings import EmbeddingSettings, Settings
from kenning.engine import Engine
from kenning.engine.live import LiveWorkspace
settings = Settings(parse_workers=1, embedding=EmbeddingSettings(optimize=False))
engine = Engine.open(Path(sys.argv[1]), settings)
engine.indexer.apply([(sys.argv[2], None)])
os.kill(os.getpid(), signal.SIGKILL)
"""


def embedded_and_closed(workspace: Workspace) -> int:
    """Index and embed FILES, close cleanly; how many texts there are."""
    engine = workspace.indexed(FILES, EMBED)
    total = engine.embed().total
    engine.close()
    return total


def chunk_count(workspace: Workspace) -> int:
    """The chunk table's rows, counted through LanceDB."""
    engine = workspace.open(EMBED, read_only=True)
    try:
        return engine.chunks.count()
    finally:
        engine.close()


def started(workspace: Workspace) -> tuple[Engine, list[EmbedProgress]]:
    """A start as a daemon makes it: catch up, then embedding in the background."""
    engine = workspace.open(EMBED)
    heard: list[EmbedProgress] = []
    engine.add_embedding_sink(heard.append)
    engine.index()
    engine.start_embedding()
    return engine, heard


def test_a_start_with_everything_embedded_says_so_without_the_pool(
    workspace: Workspace, trace: Path
) -> None:
    total = embedded_and_closed(workspace)
    chunks = chunk_count(workspace)
    embedded = traced_hashes(trace)

    engine, heard = started(workspace)

    # No model and no pool: nothing was embedded, and the status says all is done.
    assert not engine.pool_made
    assert [(p.state, p.done, p.total) for p in heard] == [("idle", total, total)]
    status = engine.embedding_status()
    assert (status.state, status.done, status.total, status.pending) == ("idle", total, total, 0)
    assert engine.status().chunks == chunks > 0
    # `kenning index` says the same through `embed`, and search still uses the vectors.
    assert (engine.embed().done, engine.embed().total) == (total, total)
    assert engine.search("cost of the items in a cart", 1).vectors_complete
    assert traced_hashes(trace) == embedded


def test_a_daemons_folder_opens_and_catches_up_without_the_pool(workspace: Workspace) -> None:
    total = embedded_and_closed(workspace)
    live = LiveWorkspace(workspace.root, EMBED)
    try:
        assert live.open().writer
        live.catch_up().result(timeout=120)
        assert live.wait_until_idle(60)

        assert live.engine is not None and not live.engine.pool_made
        # What the folder's status shows: embedding idle, everything embedded.
        assert (live.embedding.state, live.embedding.done, live.embedding.total) == (
            "idle", total, total,
        )  # fmt: skip
        assert not live.error
    finally:
        live.close()


def test_texts_of_an_edit_after_such_a_start_are_embedded(
    workspace: Workspace, trace: Path
) -> None:
    total = embedded_and_closed(workspace)
    engine, _ = started(workspace)
    workspace.write(dict([NEW_FILE]))

    engine.apply_changes([(NEW_FILE[0], None)])

    assert engine.wait_until_idle(60)
    status = engine.embedding_status()
    assert (status.done, status.total, status.pending) == (total + 2, total + 2, 0)
    assert len(traced_hashes(trace)) == total + 2  # the new chunk and its description


def test_chunks_written_by_a_writer_killed_before_queueing_them_are_embedded(
    workspace: Workspace, trace: Path
) -> None:
    total = embedded_and_closed(workspace)
    workspace.write(dict([NEW_FILE]))
    killed = subprocess.run(
        [sys.executable, "-c", WRITE_THEN_DIE, str(workspace.root), NEW_FILE[0]],
        env=kenning_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    engine = workspace.open(EMBED)
    assert engine.index().parsed == 0  # the killed writer's rows are in the graph
    final = engine.embed()

    assert (final.done, final.total, final.pending) == (total + 2, total + 2, 0)
    assert len(traced_hashes(trace)) == total + 2
    assert engine.search("sending a parcel", 1).hits[0].symbol == "shop.shipping.shipping_cost"


def test_a_half_embedded_index_resumes(workspace: Workspace, trace: Path) -> None:
    total = embedded_and_closed(workspace)
    workspace.write({"shop/events.py": "".join(
        f'def on_event_{i}(event):\n    """Handle event number {i}."""\n    return {i}\n\n\n'
        for i in range(40)
    )})  # fmt: skip
    engine = workspace.open(EMBED)
    engine.index()
    pool = engine.pool

    def pause_after_first_batch(progress: EmbedProgress) -> None:
        if progress.state == "running":
            pool.pause()

    # Paused once its first batch is stored: the rest stays pending when it closes.
    pool.add_sink(pause_after_first_batch)
    engine.embed()
    left = engine.embedding_status().pending
    assert 0 < left < 80  # 40 chunk texts, 40 descriptions
    engine.close()

    engine, _ = started(workspace)
    assert engine.pool_made
    assert engine.wait_until_idle(60)

    status = engine.embedding_status()
    assert (status.done, status.total, status.pending) == (total + 80, total + 80, 0)
    assert len(traced_hashes(trace)) == total + 80


def test_a_lost_vector_table_is_embedded_again(workspace: Workspace, trace: Path) -> None:
    total = embedded_and_closed(workspace)
    engine = workspace.open(EMBED)
    model_id = engine.embedding_status().model_id
    assert model_id is not None
    engine.close()
    # The chunk table is untouched, so its files still match the record; the texts
    # requeued by the repair must still send the start to the pool.
    shutil.rmtree(workspace.root / ".kenning" / "chunks" / f"{table_name(model_id)}.lance")

    engine, _ = started(workspace)
    assert "embedded again" in engine.repairs
    assert engine.wait_until_idle(60)

    status = engine.embedding_status()
    assert (status.done, status.total, status.pending) == (total, total, 0)
    assert len(traced_hashes(trace)) == 2 * total
