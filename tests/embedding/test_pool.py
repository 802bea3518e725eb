"""Phase 2 end to end with the real model: embedding, resuming, reuse by text hash,
failures, garbage collection, model changes and hybrid search."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest

from helpers import Workspace
from kenning.core.settings import EmbeddingSettings, Settings
from kenning.engine import Engine
from kenning.storage.embed_status import EmbedStatus

from .conftest import EMBED, traced_hashes

# End to end through real processes: the slow tier (`pytest -m "not slow"` skips it).
pytestmark = pytest.mark.slow

FILES = {
    "shop/__init__.py": "",
    "shop/config.py": '''
        import json


        def load_settings(path):
            """Read the configuration file and return its values."""
            with open(path) as handle:
                return json.load(handle)


        def merge_overrides(base, overrides):
            merged = dict(base)
            merged.update(overrides)
            return merged
        ''',
    "shop/network.py": """
        import time


        def fetch_with_retries(client, url, attempts=3):
            for attempt in range(attempts):
                try:
                    return client.get(url)
                except ConnectionError:
                    time.sleep(2 ** attempt)
            raise ConnectionError(url)
        """,
    "shop/cart.py": """
        class Cart:
            def __init__(self):
                self.items = []

            def add_item(self, product, quantity=1):
                self.items.append((product, quantity))

            def total_price(self):
                return sum(p.price * q for p, q in self.items)
        """,
}


def chunk_hashes(engine: Engine) -> set[str]:
    return engine.chunks.all_hashes()


def counts(engine: Engine) -> dict[str, Any]:
    status = msgspec.to_builtins(engine.embedding_status())
    return {k: status[k] for k in ("total", "done", "pending", "failed")}


def test_embedding_covers_every_chunk_text_once(workspace: Workspace, trace: Path) -> None:
    engine = workspace.indexed(FILES, EMBED)
    seen: list[Any] = []
    final = engine.embed(progress=seen.append)

    hashes = chunk_hashes(engine)
    assert counts(engine) == {"total": len(hashes), "done": len(hashes), "pending": 0,
                              "failed": 0}  # fmt: skip
    assert final.done == final.total == len(hashes)
    # Every distinct text went to the model exactly once.
    assert Counter(traced_hashes(trace)) == Counter(hashes)
    # Progress came batch by batch, counting up to the total.
    running = [p.done for p in seen if p.state == "running"]
    assert running == sorted(running) and running[-1] == len(hashes) and len(running) > 1
    assert engine.vectors.count(final.model_id) == len(hashes)
    assert engine.embedding_status().last_throughput > 0


def test_search_before_during_and_after_embedding(workspace: Workspace) -> None:
    engine = workspace.indexed(FILES, EMBED)
    # No word of this query is in the code: only meaning can find it.
    query = "read settings from disk"

    before = engine.search(query, 3)
    assert not before.vectors_complete and before.vector_coverage == 0.0
    assert all("vector" not in hit.sources for hit in before.hits)

    def pause_after_first_batch(progress: Any) -> None:
        if progress.state == "running":
            engine.pause_embedding()

    engine.embed(progress=pause_after_first_batch)
    during = engine.search(query, 3)
    assert 0.0 < during.vector_coverage < 1.0 and not during.vectors_complete

    engine.resume_embedding()
    assert engine.wait_until_idle(60)
    after = engine.search(query, 3)
    assert after.vectors_complete and after.vector_coverage == 1.0
    assert after.hits[0].symbol == "shop.config.load_settings"
    assert "vector" in after.hits[0].sources
    vector_only = engine.search(query, 3, mode="vector")
    assert vector_only.hits[0].symbol == "shop.config.load_settings"
    # Vector mode ranks by the code's vector and the description's (name words), nothing else.
    assert all(set(hit.sources) <= {"vector", "describe"} for hit in vector_only.hits)


def test_vector_search_honours_filters(workspace: Workspace) -> None:
    engine = workspace.indexed(FILES, EMBED)
    engine.embed()
    hits = engine.search("retry a request after a network failure", 5, mode="vector",
                         path_globs=["shop/cart.py"]).hits  # fmt: skip
    assert hits and {hit.path for hit in hits} == {"shop/cart.py"}
    methods = engine.search("put a product in the basket", 5, mode="vector", kinds=["method"])
    assert methods.hits[0].symbol == "shop.cart.Cart.add_item"
    assert {hit.kind for hit in methods.hits} == {"method"}


def test_moving_a_function_or_reverting_an_edit_embeds_nothing_new(
    workspace: Workspace, trace: Path
) -> None:
    engine = workspace.indexed(FILES, EMBED)
    engine.embed()
    first = len(traced_hashes(trace))
    config = (workspace.root / "shop/config.py").read_text()
    merge = config[config.index("def merge_overrides") :]

    # Move merge_overrides to a new file: the same text, so the same vector.
    engine.apply_changes([
        ("shop/config.py", config.replace(merge, "")),
        ("shop/merging.py", merge),
    ])  # fmt: skip
    engine.embed()
    assert len(traced_hashes(trace)) == first

    # Edit a function, then put it back: only the edited text is embedded.
    engine.apply_changes([("shop/network.py", "def fetch_with_retries(url):\n    return url\n")])
    engine.embed()
    # The edited text, and the description (its signature changed: new parameter words).
    assert len(traced_hashes(trace)) == first + 2
    engine.apply_changes([("shop/network.py", None)])  # the file on disk is unchanged
    engine.embed()
    assert len(traced_hashes(trace)) == first + 2
    assert counts(engine)["pending"] == 0


def test_a_restart_embeds_nothing_again(workspace: Workspace, trace: Path) -> None:
    engine = workspace.indexed(FILES, EMBED)
    engine.embed()
    embedded = len(traced_hashes(trace))
    engine.close()
    reopened = workspace.open(EMBED)
    reopened.index()
    final = reopened.embed()
    assert len(traced_hashes(trace)) == embedded
    assert final.done == final.total == embedded
    assert reopened.search("read settings from disk", 1).vectors_complete


def test_vectors_no_chunk_refers_to_are_collected(workspace: Workspace) -> None:
    settings = msgspec.structs.replace(
        EMBED, embedding=msgspec.structs.replace(EMBED.embedding, gc_grace_seconds=0)
    )
    engine = workspace.indexed(FILES, settings)
    final = engine.embed()
    before = engine.vectors.count(final.model_id)
    (workspace.root / "shop/network.py").unlink()
    engine.apply_changes([("shop/network.py", None)])
    final = engine.embed()
    after = engine.vectors.count(final.model_id)
    assert after < before
    assert after == final.total == len(chunk_hashes(engine))


class Exploding:
    """The real model, except that a batch holding "EXPLODE" raises."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.model_id = model.model_id
        self.failed_calls = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if any("EXPLODE" in text for text in texts):
            self.failed_calls += 1
            raise RuntimeError("the model choked")
        return np.asarray(self.model.embed(texts))

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return list(self.model.count_tokens(texts))


def test_a_failing_batch_is_retried_then_marked_error_while_others_finish(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {**FILES, "shop/bad.py": "def explode():\n    return 'EXPLODE'\n"}
    settings = msgspec.structs.replace(
        EMBED, embedding=msgspec.structs.replace(EMBED.embedding, max_attempts=3)
    )
    wrappers: list[Exploding] = []
    real_load = Engine._load_model

    def load(self: Engine, spec: Any, threads: int) -> Any:
        wrappers.append(Exploding(real_load(self, spec, threads)))
        return wrappers[-1]

    monkeypatch.setattr(Engine, "_load_model", load)
    engine = workspace.indexed(files, settings)
    final = engine.embed()

    assert wrappers[0].failed_calls == 3
    status = msgspec.to_builtins(engine.embedding_status())
    assert status["failed"] >= 1 and status["pending"] == 0
    assert status["done"] == status["total"] - status["failed"] > 0
    (failure,) = [f for f in status["failures"] if "choked" in f["error"]][:1]
    assert failure["attempts"] == 3 and failure["error"] == "RuntimeError: the model choked"
    assert final.failed == status["failed"]
    assert not engine.search("explode", 3).vectors_complete

    # `kenning embed --retry-failed`: the texts get fresh attempts.
    assert engine.retry_failed_embeddings() == status["failed"]
    engine.embed()
    assert wrappers[0].failed_calls == 6


def test_changing_the_model_reembeds_then_switches_search_over(
    workspace: Workspace, trace: Path, tmp_path: Path
) -> None:
    from kenning.embed import DEFAULT_MODEL, resolve_model

    engine = workspace.indexed(FILES, EMBED)
    old = engine.embed()
    engine.close()

    # The same weights in a local folder are another model to kenning (another id).
    resolved = resolve_model(DEFAULT_MODEL, optimize=False)
    local = tmp_path / "my-minilm"
    local.mkdir()
    for item in Path(resolved.folder).iterdir():
        (local / item.name).write_bytes(item.read_bytes())
    settings = Settings(
        parse_workers=1,
        embedding=EmbeddingSettings(model=str(local), optimize=False, batch_tokens=256),
    )
    engine = workspace.open(settings)
    engine.index()
    new = engine.embed()

    assert new.model_id != old.model_id
    assert new.done == new.total == old.total
    traced = traced_hashes(trace)
    assert len(traced) == 2 * old.total  # everything again, under the new id
    assert new.active_model_id == new.model_id
    assert engine.embedding_status().active_model_id == new.model_id
    assert engine.search("read settings from disk", 1).vectors_complete
    # The old model's vectors and status rows are gone.
    assert not engine.vectors.exists(old.model_id)
    status = EmbedStatus(engine.index_dir.embed_status_path, read_only=True)
    assert status.models() == [new.model_id]
    status.close()


def test_open_and_changed_files_are_embedded_before_background_work(
    workspace: Workspace, trace: Path
) -> None:
    engine = workspace.indexed(FILES, EMBED)
    engine.embed()
    engine.pause_embedding()
    # Background work: a file that appeared while nobody watched (found by a catch-up).
    workspace.write({"shop/reports.py": "def monthly_report(sales):\n    return sum(sales)\n"})
    engine.index()
    # A saved file, and a file open in an editor.
    engine.apply_changes([("shop/network.py", "def ping(host):\n    return host\n")])
    engine.apply_changes([("shop/cart.py", "def empty_cart(cart):\n    cart.items.clear()\n")])
    engine.prioritize_files(["shop/cart.py"])
    before = len(traced_hashes(trace))

    engine.resume_embedding()
    assert engine.wait_until_idle(60)
    order = traced_hashes(trace)[before:]
    by_path = {
        path: set(engine.chunks.hashes_for_paths([path]))
        for path in ("shop/cart.py", "shop/network.py", "shop/reports.py")
    }
    # Each file's texts (its chunk's and its function's description) in priority order.
    files = [next(p for p, hs in by_path.items() if h in hs) for h in order]
    assert list(dict.fromkeys(files)) == ["shop/cart.py", "shop/network.py", "shop/reports.py"]
    assert files == sorted(files) and len(files) == 6


def test_search_falls_back_to_text_when_the_query_model_fails(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = workspace.indexed(FILES, EMBED)
    engine.embed()
    engine.close()
    reader = workspace.open(EMBED, read_only=True)

    def broken(self: Engine, spec: Any, threads: int) -> Any:
        raise RuntimeError("model files are gone")

    monkeypatch.setattr(Engine, "_load_model", broken)
    result = reader.search("load_settings", 3)
    assert result.hits[0].symbol == "shop.config.load_settings"
    assert result.note == (
        "vector search unavailable: model files are gone; ranked by text and symbol names only"
    )
    assert not result.vectors_complete


def test_what_loading_the_model_said_reaches_the_status(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = "optimised file rejected (min cosine 0.9809 < 0.99); using the shipped file"
    real_load = Engine._load_model

    def load(self: Engine, spec: Any, threads: int) -> Any:
        model = real_load(self, spec, threads)
        model.resolved = msgspec.structs.replace(model.resolved, note=note)
        return model

    monkeypatch.setattr(Engine, "_load_model", load)
    engine = workspace.indexed(FILES, EMBED)
    assert engine.embed().note == note
    engine.close()
    assert workspace.open(EMBED, read_only=True).embedding_status().note == note


def test_a_pause_asked_for_while_indexing_outlasts_the_index(workspace: Workspace) -> None:
    """The engine pauses the pool during a full index and resumes it after, but not
    over the user's pause (an editor's `kenning.pauseEmbedding` mid-index)."""
    engine = workspace.indexed(FILES, EMBED)
    engine.embed()
    workspace.write({"shop/reports.py": "def monthly_report(sales):\n    return sum(sales)\n"})
    pauses: list[bool] = []

    def pause_midway(*_: Any) -> None:
        if not pauses:
            engine.pause_embedding()
        pauses.append(True)

    engine.index(rebuild=True, progress=pause_midway)
    assert pauses, "the index reported no progress to pause from"
    assert engine.embedding_paused and engine.pool.paused
    engine.resume_embedding()
    assert not engine.embedding_paused and not engine.pool.paused
    assert engine.wait_until_idle(60)


def test_work_after_an_index_shows_at_once_never_idle(workspace: Workspace) -> None:
    """A full index pauses the pool and starts it again: from that moment its progress
    says work is coming ("preparing"), before the worker's first report, so a status
    read in between never finds the folder idle with chunks left to embed."""
    engine = workspace.indexed(FILES, EMBED)
    engine.embed()
    workspace.write({"shop/reports.py": "def monthly_report(sales):\n    return sum(sales)\n"})
    seen: list[str] = []
    engine.pool.add_sink(lambda progress: seen.append(progress.state))
    # Hold the worker back, so the state read next is the one `index` left behind.
    with engine.pool._cv:
        engine.index()
        assert engine.pool.progress().state == "preparing"
    assert "paused" in seen and seen[-1] == "preparing"
    assert engine.wait_until_idle(60)
    assert engine.embedding_status().pending == 0


def test_a_start_while_a_failing_worker_ends_is_answered(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kenning index --model <missing>` exited 0 as if nothing was to embed: its start
    came while the background worker, which had just failed to load the model, was
    ending; it found the worker still running, and the worker then ended without
    reading it, so the caller's wait returned on the state that start had published."""
    engine = workspace.indexed(FILES, EMBED)

    def broken(self: Engine, spec: Any, threads: int) -> Any:
        raise RuntimeError("model files are gone")

    monkeypatch.setattr(Engine, "_load_model", broken)
    pool = engine.pool
    failed, go_on = threading.Event(), threading.Event()
    publish = pool._publish

    def held(progress: Any) -> None:
        publish(progress)
        if progress.state == "error" and not failed.is_set():
            failed.set()
            go_on.wait(10)  # the worker has said "error" and not yet ended

    monkeypatch.setattr(pool, "_publish", held)
    pool.start(resync=True)
    assert failed.wait(10)
    pool.start(resync=True)
    go_on.set()

    assert pool.wait_until_idle(timeout=20)
    assert pool.progress().state == "error"
    assert "model files are gone" in pool.progress().note
