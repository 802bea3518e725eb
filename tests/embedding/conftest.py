"""Fixtures for phase 2: the real bundled model, loaded once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kenning.core.settings import EmbeddingSettings, Settings
from kenning.pipeline.embedder import TRACE_ENV

# Small batches so that a handful of chunks still makes several batches; the shipped
# model file, so that no test waits for the optimised build (tests/embed covers it).
EMBED = Settings(parse_workers=1, embedding=EmbeddingSettings(optimize=False, batch_tokens=256))


@pytest.fixture
def trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A file listing every batch the pool hands the model (`KENNING_EMBED_TRACE`)."""
    path = tmp_path / "embed-trace.txt"
    monkeypatch.setenv(TRACE_ENV, str(path))
    yield path


def traced_hashes(path: Path) -> list[str]:
    """Every text hash the model was asked to embed, in order (repeats kept)."""
    if not path.exists():
        return []
    hashes: list[str] = []
    for line in path.read_text().splitlines():
        hashes.extend(line.split()[1:])
    return hashes
