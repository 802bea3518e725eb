"""Parsing many files in worker processes for a full index.

Parsing is CPU-bound Python (tree-sitter queries plus fact building), so threads would
serialise on the GIL: a full index uses a process pool, one worker per core. Each
worker reads, hashes and parses a slice of files itself, so file contents never cross
the process boundary, and sends facts back msgpack-encoded (much cheaper than pickling
structs one by one). Workers end with the process that started them, even one killed
with `kill -9` (see `_exit_with_parent`).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import select
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import msgspec

from kenning.core.facts import EdgeFacts, FileFacts
from kenning.languages import by_name
from kenning.pipeline.discover import Skipped, content_hash, read_source

# Files per task: enough to amortise a round trip, few enough to balance the workers.
FILES_PER_TASK = 24
# Slices submitted ahead per worker: enough to keep every worker busy while the
# parent writes, few enough that unread results stay a few megabytes.
IN_FLIGHT_PER_WORKER = 2
# A worker is replaced after this many slices, so whatever its heap keeps of the
# largest files it parsed (tree-sitter trees, Python's free lists) is given back.
TASKS_PER_WORKER = 40
# Where there is no pidfd, how often a worker checks that its pool's process lives.
PARENT_POLL_S = 1.0


class ParsedFile(msgspec.Struct, array_like=True):
    found_path: str
    size: int
    mtime_ns: int
    hash: str
    facts: FileFacts


class ParsedSlice(msgspec.Struct, array_like=True):
    """One slice's results. A full index resolves call sites only in its second pass,
    from a spill file: so the worker sends them apart, already encoded as that file's
    part (`edges`: msgpack of `list[EdgeFacts]`, one per parsed file, in order), and
    each file's `facts.calls` is empty. The parent writes `edges` to the spill as it is,
    instead of decoding every call site only to encode it again."""

    parsed: list[ParsedFile]
    skipped: list[tuple[str, str]]
    # The worker's CPU seconds for the slice (reading, hashing, parsing and extracting:
    # not the encoding of this reply), for a full index's timings.
    cpu: float = 0.0
    edges: bytes = b""


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(ParsedSlice)


@dataclass(frozen=True)
class ParseJob:
    path: str
    language: str
    module: str
    size: int
    mtime_ns: int


def parse_one(root: Path, job: ParseJob, max_size: int) -> ParsedFile | Skipped:
    """Read, hash and parse one file (in whichever process calls it)."""
    data = read_source(root, job.path, max_size)
    if isinstance(data, Skipped):
        return data
    facts = by_name(job.language).extract_facts(job.path, data, job.module)
    return ParsedFile(job.path, len(data), job.mtime_ns, content_hash(data), facts)


def _parse_slice(root: str, jobs: list[ParseJob], max_size: int) -> bytes:
    started = time.process_time()
    parsed: list[ParsedFile] = []
    skipped: list[tuple[str, str]] = []
    for job in jobs:
        result = parse_one(Path(root), job, max_size)
        if isinstance(result, Skipped):
            skipped.append((result.path, result.reason))
        else:
            parsed.append(result)
    edges = _encoder.encode([EdgeFacts.of(p.facts) for p in parsed])
    for p in parsed:
        p.facts = msgspec.structs.replace(p.facts, calls=[])
    return _encoder.encode(ParsedSlice(parsed, skipped, time.process_time() - started, edges))


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: end this worker when the process that made the pool ends.

    A `kill -9` of `kenning index` gives the pool no chance to stop its workers, and
    they do not end by themselves: each holds the fork server's liveness pipe (so the
    fork server never sees its client go) and blocks writing results nobody reads, and
    the resource tracker lives as long as any of them. So each worker watches its
    pool's process on a thread of its own and exits the moment it is gone; then the
    fork server and the resource tracker see their pipes close and exit too.
    """
    try:
        handle = os.pidfd_open(parent)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):
        handle = -1  # no pidfd (not Linux, or an old kernel): poll instead

    def watch() -> None:
        if handle >= 0:
            # A pidfd turns readable when its process exits.
            select.select([handle], [], [])
        else:
            while _alive(parent):
                time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="kenning-parse-parent", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def parse_files(
    root: Path,
    jobs: Sequence[ParseJob],
    max_size: int,
    workers: int,
    timings: dict[str, float] | None = None,
) -> Iterator[ParsedSlice]:
    """Parse `jobs`, yielding results slice by slice as workers finish them. `timings`,
    when given, gains the seconds spent waiting for workers (`parse.wait`), decoding
    their results (`parse.decode`) and the workers' CPU seconds (`parse.worker_cpu`)."""
    times = timings if timings is not None else {}
    slices = [list(jobs[i : i + FILES_PER_TASK]) for i in range(0, len(jobs), FILES_PER_TASK)]
    if workers <= 1 or len(slices) <= 1:
        for piece in slices:
            yield _timed_decode(_parse_slice(str(root), piece, max_size), times)
        return
    # "forkserver" rather than fork: the parent may hold database threads and locks
    # that a forked child would inherit in an undefined state; the fork server is a
    # clean single-threaded process that workers are forked from.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        max_tasks_per_child=TASKS_PER_WORKER,
        initializer=_exit_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        # A bounded window of slices in flight: results the caller has not taken yet
        # would otherwise pile up in memory whenever parsing outruns the writes.
        pending: deque[Future[bytes]] = deque()
        queued = iter(slices)
        for first in itertools.islice(queued, workers * IN_FLIGHT_PER_WORKER):
            pending.append(pool.submit(_parse_slice, str(root), first, max_size))
        while pending:
            started = time.perf_counter()
            data = pending.popleft().result()
            _add(times, "parse.wait", time.perf_counter() - started)
            for following in itertools.islice(queued, 1):
                pending.append(pool.submit(_parse_slice, str(root), following, max_size))
            yield _timed_decode(data, times)
    _stop_pool_helpers()


def _stop_pool_helpers() -> None:
    """End the processes the pool started beside its workers once they are gone; each
    would idle on until this process ends, on top of a full index's peak, which comes
    after parsing, as it resolves and writes the edges (the next pool starts them again):
    the fork server (about 13 MB), and the resource tracker (about 7 MB PSS), there to
    unlink the pool's queues' named semaphores should this process die (a fork server's
    pool cannot unlink them at once, as a forked one does), which the pool unlinks and
    unregisters itself as it shuts down."""
    from multiprocessing import forkserver, resource_tracker

    for helper in (forkserver._forkserver, resource_tracker._resource_tracker):
        stop = getattr(helper, "_stop", None)  # CPython's, 3.8 on
        if stop is not None:
            stop()


def _timed_decode(data: bytes, times: dict[str, float]) -> ParsedSlice:
    started = time.perf_counter()
    piece = _decoder.decode(data)
    _add(times, "parse.decode", time.perf_counter() - started)
    _add(times, "parse.worker_cpu", piece.cpu)
    return piece


def _add(times: dict[str, float], name: str, seconds: float) -> None:
    times[name] = times.get(name, 0.0) + seconds


def default_workers(setting: int) -> int:
    return setting if setting > 0 else max(1, os.cpu_count() or 1)


__all__ = ["ParseJob", "ParsedFile", "ParsedSlice", "default_workers", "parse_files", "parse_one"]
