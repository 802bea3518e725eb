"""The record that lets a start skip the embedding pool: when it holds and when not.

`settled_progress` says phase 2 has nothing to do only while the status table's last
resync saw the chunk files as they are now, under the model configured now, with
nothing pending or in progress, no model switch under way and no orphan due for
collection. Each case below breaks one of those and must send the start to the pool.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kenning.core.settings import EmbeddingSettings
from kenning.pipeline.embedder import ACTIVE_MODEL, SYNCED, settled_progress
from kenning.storage.embed_status import EmbedStatus

MODEL = "all-MiniLM-L6-v2@aaaaaaaaaaaa"
FILES = "fingerprint-of-the-chunk-files"
SETTINGS = EmbeddingSettings()


@pytest.fixture
def status(tmp_path: Path) -> EmbedStatus:
    """Three texts, all embedded under MODEL, and the record of that resync."""
    status = EmbedStatus(tmp_path / "status.sqlite")
    status.sync(MODEL, ["h1", "h2", "h3"])
    status.mark_done(MODEL, ["h1", "h2", "h3"])
    status.set_meta(ACTIVE_MODEL, MODEL)
    status.set_meta(SYNCED, json.dumps({"chunks": FILES, "model": MODEL}))
    return status


def test_everything_embedded_and_nothing_changed_is_settled(status: EmbedStatus) -> None:
    settled = settled_progress(status, MODEL, FILES, SETTINGS)
    assert settled is not None
    assert (settled.state, settled.total, settled.done, settled.pending) == ("idle", 3, 3, 0)
    assert settled.model_id == settled.active_model_id == MODEL


def test_chunk_files_changed_since_the_resync(status: EmbedStatus) -> None:
    # Another writer (or one killed before it queued its new texts) changed the chunks.
    assert settled_progress(status, MODEL, "another-fingerprint", SETTINGS) is None


def test_another_model_configured(status: EmbedStatus) -> None:
    assert settled_progress(status, "all-MiniLM-L6-v2@bbbbbbbbbbbb", FILES, SETTINGS) is None


def test_texts_pending_or_in_progress(status: EmbedStatus) -> None:
    status.requeue(MODEL, ["h2"])  # a vector table lost and repaired, say
    assert settled_progress(status, MODEL, FILES, SETTINGS) is None
    status.claim(MODEL, ["h2"])  # a batch cut short by a kill
    assert settled_progress(status, MODEL, FILES, SETTINGS) is None
    status.mark_done(MODEL, ["h2"])
    assert settled_progress(status, MODEL, FILES, SETTINGS) is not None


def test_a_model_switch_under_way(status: EmbedStatus) -> None:
    status.set_meta(ACTIVE_MODEL, "all-MiniLM-L6-v2@cccccccccccc")
    assert settled_progress(status, MODEL, FILES, SETTINGS) is None


def test_an_orphan_due_for_collection(status: EmbedStatus) -> None:
    status.sync(MODEL, ["h1", "h2"], now=time.time() - SETTINGS.gc_grace_seconds - 1)
    assert settled_progress(status, MODEL, FILES, SETTINGS) is None


def test_an_orphan_within_its_grace_period_waits(status: EmbedStatus) -> None:
    status.sync(MODEL, ["h1", "h2"])
    settled = settled_progress(status, MODEL, FILES, SETTINGS)
    assert settled is not None and settled.total == 2


@pytest.mark.parametrize("record", [None, "", "not json", "[1, 2]", '{"model": "x"}'])
def test_no_record_or_a_garbled_one(status: EmbedStatus, record: str | None) -> None:
    if record is None:
        status = EmbedStatus(status.path.with_name("fresh.sqlite"))
    else:
        status.set_meta(SYNCED, record)
    assert settled_progress(status, MODEL, FILES, SETTINGS) is None
