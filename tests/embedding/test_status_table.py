"""The status table and batch planning: the bookkeeping under the embedding pool."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from kenning.pipeline.embedder import plan_batches
from kenning.query.semantic import SemanticIndex
from kenning.storage.embed_status import OPEN, RECENT, EmbedStatus
from kenning.storage.vectors import VectorStore


@pytest.fixture
def status(tmp_path: Path) -> EmbedStatus:
    return EmbedStatus(tmp_path / "status.sqlite")


@pytest.mark.parametrize(
    ("items", "batch_tokens", "batch_size", "expected"),
    [
        # Sorted by length, so short texts share batches and long ones do too.
        ([("a", 200), ("b", 10), ("c", 12), ("d", 190)], 400, 8, [["b", "c"], ["d", "a"]]),
        # Padded size: 3 texts x 100 tokens fits 300, a fourth does not.
        ([(x, 100) for x in "abcd"], 300, 8, [["a", "b", "c"], ["d"]]),
        # The count cap holds even for tiny texts.
        ([(x, 1) for x in "abcde"], 10_000, 2, [["a", "b"], ["c", "d"], ["e"]]),
        # A text longer than the model reads counts as the model's maximum.
        ([("a", 5000)], 256, 8, [["a"]]),
        ([], 256, 8, []),
    ],
)
def test_plan_batches(
    items: list[tuple[str, int]], batch_tokens: int, batch_size: int, expected: list[list[str]]
) -> None:
    assert plan_batches(items, batch_tokens, batch_size) == expected


def test_sync_queues_new_texts_and_orphans_vanished_ones(status: EmbedStatus) -> None:
    assert status.sync("m", ["a", "b", "c"], now=1.0) == (3, 0)
    status.mark_done("m", ["a"])
    assert status.sync("m", ["a", "b", "d"], now=2.0) == (1, 1)  # d new, c orphaned
    counts = status.counts("m")
    assert (counts.done, counts.pending, counts.total) == (1, 2, 3)
    assert status.expired_orphans("m", older_than=1.5) == []
    assert status.expired_orphans("m", older_than=2.0) == ["c"]
    # c comes back (a revert): no longer an orphan, nothing to embed again.
    assert status.sync("m", ["a", "b", "c", "d"], now=3.0) == (0, 0)
    assert status.expired_orphans("m", older_than=10.0) == []


def test_priority_orders_the_queue(status: EmbedStatus) -> None:
    status.sync("m", ["a", "b", "c", "d"])
    status.add("m", ["c"], RECENT)
    status.prioritize("m", ["d"], OPEN)
    # One priority level at a time, so that sorting a window by length never puts
    # background texts before an open file's.
    assert [h for h, _ in status.next_pending("m", 10)] == ["d"]
    status.mark_done("m", ["d"])
    assert [h for h, _ in status.next_pending("m", 10)] == ["c"]
    status.mark_done("m", ["c"])
    assert [h for h, _ in status.next_pending("m", 10)] == ["a", "b"]


def test_failures_are_retried_then_given_up(status: EmbedStatus) -> None:
    status.sync("m", ["a", "b"])
    status.claim("m", ["a", "b"])
    assert not status.mark_failed("m", ["a", "b"], "boom", max_attempts=2)
    assert status.counts("m").pending == 2
    assert status.mark_failed("m", ["a", "b"], "boom again", max_attempts=2)
    counts = status.counts("m")
    assert (counts.error, counts.pending) == (2, 0)
    assert {(f.attempts, f.error) for f in status.failures("m")} == {(2, "boom again")}
    assert status.retry_errors("m") == 2
    assert status.counts("m").pending == 2


def test_in_progress_rows_survive_a_crash_for_recovery(tmp_path: Path) -> None:
    path = tmp_path / "status.sqlite"
    first = EmbedStatus(path)
    first.sync("m", ["a", "b", "c"])
    first.claim("m", ["a", "b"])
    run = first.start_run("m", 3)
    # No close(): the process dies here.
    second = EmbedStatus(path)
    assert sorted(second.recover()) == [("m", "a"), ("m", "b")]
    second.start_run("m", 3)
    last = second.last_run("m")
    assert last is not None and last.id == run + 1
    reader = EmbedStatus(path, read_only=True)
    assert reader.counts("m").in_progress == 2
    with pytest.raises(Exception, match="readonly"):
        reader.set_meta("x", "y")


def test_a_reader_of_an_index_never_embedded_sees_nothing(tmp_path: Path) -> None:
    reader = EmbedStatus(tmp_path / "missing.sqlite", read_only=True)
    assert reader.counts("m").total == 0 and reader.get_meta("active_model") is None
    assert not (tmp_path / "missing.sqlite").exists()


def clustered_vectors(n: int, dim: int = 64) -> np.ndarray:
    rng = np.random.default_rng(7)
    centers = rng.standard_normal((20, dim)).astype(np.float32)
    points = centers[rng.integers(0, 20, n)] + 0.4 * rng.standard_normal((n, dim))
    points = points.astype(np.float32)
    return points / np.linalg.norm(points, axis=1, keepdims=True)


@pytest.mark.slow
def test_vector_search_goes_approximate_past_the_threshold_only_if_recall_holds(
    tmp_path: Path,
) -> None:
    vectors = VectorStore(tmp_path)
    points = clustered_vectors(3000)
    hashes = [f"h{i}" for i in range(len(points))]
    vectors.add("m", hashes, points)
    assert vectors.ensure_index("m", threshold=5000) == "exact"

    outcome = vectors.ensure_index("m", threshold=2000)
    assert outcome.startswith("approximate (recall ")
    assert float(outcome.split()[-1].rstrip(")")) >= 0.95
    assert vectors.search("m", points[5], 1)[0][0] == "h5"

    # An index that cannot reach the recall asked for is dropped: search stays exact.
    vectors.ensure_index("m", threshold=10_000)  # below the threshold again: dropped
    refused = vectors.ensure_index("m", threshold=2000, min_recall=1.01)
    assert refused.startswith("exact (an approximate index reached recall")
    assert vectors.index_recall("m") == 1.0  # no index: every query is exact


def test_vector_search_in_memory_agrees_with_the_table_and_follows_new_vectors(
    tmp_path: Path,
) -> None:
    writer, reader = VectorStore(tmp_path), VectorStore(tmp_path)
    points = clustered_vectors(400)
    writer.add("m", [f"h{i}" for i in range(len(points))], points)
    query = points[7] + 0.05 * points[8]

    scanned = reader.search("m", query, 10)  # first sight of this version: the table
    in_memory = reader.search("m", query, 10)  # same version again: the matrix
    assert [h for h, _ in in_memory] == [h for h, _ in scanned]
    assert [d for _, d in in_memory] == pytest.approx([d for _, d in scanned], abs=1e-5)

    # Another process stores a vector nearer than any: the very next search sees it.
    writer.add("m", ["nearest"], (query / np.linalg.norm(query))[None, :])
    assert reader.search("m", query, 1)[0][0] == "nearest"
    assert reader.search("m", query, 1)[0][0] == "nearest"


def test_vectors_of_named_texts_agree_with_the_search_from_the_table_and_memory(
    tmp_path: Path,
) -> None:
    writer, reader = VectorStore(tmp_path), VectorStore(tmp_path)
    points = clustered_vectors(50)
    writer.add("m", [f"h{i}" for i in range(len(points))], points)
    query = points[3] + 0.1 * points[4]
    unit = query / np.linalg.norm(query)
    nearest = dict(reader.search("m", query, 50))  # the table (first sight of a version)
    from_table = reader.vectors_of("m", ["h3", "h9", "missing"])
    reader.search("m", query, 1)  # same version again: now held in memory
    from_memory = reader.vectors_of("m", ["h3", "h9", "missing"])
    for found in (from_table, from_memory):
        assert set(found) == {"h3", "h9"}
        for h, vector in found.items():
            assert float(vector @ unit) == pytest.approx(1.0 - nearest[h], abs=1e-5)
    assert reader.vectors_of("other model", ["h3"]) == {}


def test_counts_follow_writes_by_this_and_other_connections(tmp_path: Path) -> None:
    path = tmp_path / "status.sqlite"
    reader, writer = EmbedStatus(path, read_only=False), EmbedStatus(path)
    assert reader.counts("m").total == 0
    writer.sync("m", ["a", "b"])
    assert reader.counts("m").pending == 2  # another connection committed
    reader.sync("m", ["a"])  # this connection's own write: "b" is orphaned
    assert reader.counts("m").pending == 1
    assert writer.counts("m").pending == 1


def test_one_connection_shared_by_threads_is_used_by_one_at_a_time(tmp_path: Path) -> None:
    """The engine's status connection serves query threads (status reads), the writer
    (new texts) and `close`: a call waits for the one in progress, so a status read
    never lands inside another thread's transaction and `close` never pulls the
    connection from under a running statement (that crashed a server at shutdown)."""
    status = EmbedStatus(tmp_path / "status.sqlite")
    inside = threading.Event()
    release = threading.Event()

    def live_texts() -> Iterator[str]:
        yield "a"
        inside.set()  # `sync` is now in its transaction, consuming this
        assert release.wait(10)
        yield "b"

    syncing = threading.Thread(target=status.sync, args=("m", live_texts()))
    syncing.start()
    assert inside.wait(10)
    read: list[object] = []
    reader = threading.Thread(target=lambda: read.append(status.counts("m").pending))
    closer = threading.Thread(target=status.close)
    reader.start()
    reader.join(0.3)
    closer.start()
    closer.join(0.3)
    assert reader.is_alive() and closer.is_alive() and read == []
    release.set()
    for thread in (syncing, reader, closer):
        thread.join(10)
    assert read == [2]
    with pytest.raises(sqlite3.ProgrammingError):
        status.get_meta("x")


def test_with_every_text_embedded_the_first_search_reads_the_vectors_in_memory(
    tmp_path: Path,
) -> None:
    """While texts wait to be embedded the table is about to change, so a search scans
    it and the vectors are loaded into memory at the second search of one version; with
    none waiting, at the first (the first search after a daemon starts, on a finished
    index, does not scan a cold table first)."""
    VectorStore(tmp_path).add("m", [f"h{i}" for i in range(400)], clustered_vectors(400))
    query = clustered_vectors(400)[7]

    class Model:
        model_id = "m"

        def embed(self, texts: Sequence[str]) -> np.ndarray:
            return np.stack([query for _ in texts])

    answers = []
    for coverage, loaded in ((0.9, False), (1.0, True)):
        vectors = VectorStore(tmp_path)
        semantic = SemanticIndex(vectors, "m", Model, coverage)
        answers.append(semantic.nearest("a query", 10))
        assert ("m" in vectors._matrices) is loaded
    assert [h for h, _ in answers[1]] == [h for h, _ in answers[0]]
    assert answers[1][0][0] == "h7"
