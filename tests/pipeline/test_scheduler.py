"""The change scheduler: one entry per path, newest wins, debounced, one writer thread.

No sleeps: tests wait on `wait_until_idle`, on events set by the writer, or park the
writer inside a job so that submits pile up deterministically.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future

import pytest

from kenning.pipeline.documents import OpenDocument
from kenning.pipeline.scheduler import ChangeScheduler, PendingChange

TIMEOUT = 10.0


class Recorder:
    """An `apply` that records each batch as a list of (path, is open buffer)."""

    def __init__(self) -> None:
        self.batches: list[list[tuple[str, bool]]] = []
        self.threads: set[str] = set()
        self.applied = threading.Event()

    def __call__(self, batch: list[PendingChange]) -> None:
        self.threads.add(threading.current_thread().name)
        self.batches.append([(c.path, c.document is not None) for c in batch])
        self.applied.set()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make(recorder: Recorder) -> Iterator:
    made: list[ChangeScheduler] = []

    def build(**kwargs) -> ChangeScheduler:
        scheduler = ChangeScheduler(recorder, **kwargs)
        made.append(scheduler)
        return scheduler

    yield build
    for scheduler in made:
        scheduler.close(TIMEOUT)


def park(scheduler: ChangeScheduler) -> threading.Event:
    """Hold the writer inside a job until the returned event is set."""
    parked, release = threading.Event(), threading.Event()

    def wait() -> None:
        parked.set()
        release.wait(TIMEOUT)

    scheduler.run(wait)
    assert parked.wait(TIMEOUT)
    return release


def doc(path: str) -> OpenDocument:
    return OpenDocument(path, "x = 1\n", 1)


def test_a_burst_of_typing_on_one_file_is_applied_once(make, recorder: Recorder) -> None:
    scheduler = make(debounce=0.2, max_delay=60)
    document = doc("a.py")
    for _ in range(100):
        scheduler.submit("a.py", document)
    assert scheduler.wait_until_idle(TIMEOUT)
    assert recorder.batches == [[("a.py", True)]]
    assert scheduler.stats.superseded == 99
    assert scheduler.stats.applied == 1
    assert recorder.threads == {"kenning-writer"}


def test_entries_of_different_paths_flush_together(make, recorder: Recorder) -> None:
    scheduler = make(debounce=0.05)
    release = park(scheduler)
    for path in ("a.py", "b.py", "c.py"):
        scheduler.submit(path, None)
    release.set()
    assert scheduler.wait_until_idle(TIMEOUT)
    assert recorder.batches == [[("a.py", False), ("b.py", False), ("c.py", False)]]
    assert scheduler.stats.batches == 1


def test_no_delay_goes_first_while_a_debounced_entry_waits(make, recorder: Recorder) -> None:
    scheduler = make(debounce=60)
    scheduler.submit("typing.py", doc("typing.py"))
    scheduler.submit("saved.py", None, delay=0)
    assert recorder.applied.wait(TIMEOUT)
    assert recorder.batches == [[("saved.py", False)]]
    assert scheduler.queued == 1
    assert not scheduler.wait_until_idle(0)


def test_a_smaller_delay_wins_over_later_typing(make, recorder: Recorder) -> None:
    scheduler = make(debounce=60)
    scheduler.submit("a.py", None, delay=0.0)
    # Typing after the save must not push the save back by a debounce.
    scheduler.submit("a.py", doc("a.py"))
    assert recorder.applied.wait(TIMEOUT)
    assert recorder.batches == [[("a.py", True)]]


def test_max_delay_caps_continuous_typing(make, recorder: Recorder) -> None:
    scheduler = make(debounce=0.2, max_delay=0.4)
    document = doc("a.py")
    started = time.monotonic()
    # A keystroke every 10 ms never leaves a 200 ms pause; only max_delay can flush.
    while not recorder.applied.wait(0.01):
        scheduler.submit("a.py", document)
        assert time.monotonic() - started < TIMEOUT
    assert time.monotonic() - started >= 0.4
    assert recorder.batches[0] == [("a.py", True)]


def test_open_documents_come_first_in_a_batch(make, recorder: Recorder) -> None:
    scheduler = make(debounce=0.05)
    release = park(scheduler)
    scheduler.submit("disk1.py", None, delay=0)
    scheduler.submit("open1.py", doc("open1.py"), delay=0)
    scheduler.submit("disk2.py", None, delay=0)
    scheduler.submit("open2.py", doc("open2.py"), delay=0)
    release.set()
    assert scheduler.wait_until_idle(TIMEOUT)
    assert recorder.batches == [
        [("open1.py", True), ("open2.py", True), ("disk1.py", False), ("disk2.py", False)]
    ]


def test_batches_respect_the_limit(make, recorder: Recorder) -> None:
    scheduler = make(debounce=0.05, batch_limit=2)
    release = park(scheduler)
    for i in range(5):
        scheduler.submit(f"{i}.py", None, delay=0)
    release.set()
    assert scheduler.wait_until_idle(TIMEOUT)
    assert [len(b) for b in recorder.batches] == [2, 2, 1]


def test_an_exception_in_apply_does_not_kill_the_writer() -> None:
    errors: list[BaseException] = []
    seen: list[list[str]] = []

    def apply(batch: list[PendingChange]) -> None:
        seen.append([c.path for c in batch])
        if batch[0].path == "bad.py":
            raise ValueError("boom")

    scheduler = ChangeScheduler(apply, debounce=0.01, on_error=errors.append)
    try:
        scheduler.submit("bad.py", None, delay=0)
        assert scheduler.wait_until_idle(TIMEOUT)
        scheduler.submit("good.py", None, delay=0)
        assert scheduler.wait_until_idle(TIMEOUT)
    finally:
        scheduler.close(TIMEOUT)
    assert seen == [["bad.py"], ["good.py"]]
    assert [str(e) for e in errors] == ["boom"]


def test_jobs_run_alone_in_order_and_report_through_their_future(make, recorder: Recorder) -> None:
    errors: list[BaseException] = []
    scheduler = make(debounce=0.05, on_error=errors.append)
    running = threading.Lock()
    order: list[int] = []

    def job(n: int) -> int:
        # Nothing else may run on the writer while a job does.
        assert running.acquire(blocking=False)
        try:
            order.append(n)
            return n * n
        finally:
            running.release()

    def failing() -> int:
        raise KeyError("nope")

    futures = [scheduler.run(lambda n=n: job(n)) for n in range(5)]
    bad = scheduler.run(failing)
    assert [f.result(TIMEOUT) for f in futures] == [0, 1, 4, 9, 16]
    assert order == [0, 1, 2, 3, 4]
    with pytest.raises(KeyError):
        bad.result(TIMEOUT)
    assert scheduler.wait_until_idle(TIMEOUT)
    assert scheduler.stats.jobs == 6
    assert len(errors) == 1


def test_close_flushes_pending_entries_and_jobs(recorder: Recorder) -> None:
    scheduler = ChangeScheduler(recorder, debounce=60, name="kenning-writer-closing")
    scheduler.submit("a.py", doc("a.py"))
    scheduler.submit("b.py", None)
    job = scheduler.run(lambda: "done")
    scheduler.close(TIMEOUT)
    assert recorder.batches == [[("a.py", True), ("b.py", False)]]
    assert job.result(0) == "done"
    scheduler.close(TIMEOUT)  # idempotent
    with pytest.raises(RuntimeError):
        scheduler.submit("c.py", None)
    with pytest.raises(RuntimeError):
        scheduler.run(lambda: None)
    alive = [t.name for t in threading.enumerate() if t.is_alive()]
    assert "kenning-writer-closing" not in alive


def test_the_queue_holds_one_entry_per_path(make, recorder: Recorder) -> None:
    scheduler = make(debounce=0.05)
    release = park(scheduler)
    paths = ["a.py", "b.py", "c.py"]
    for i in range(10_000):
        scheduler.submit(paths[i % 3], None)
    assert scheduler.queued == 3
    assert scheduler.stats.superseded == 10_000 - 3
    release.set()
    assert scheduler.wait_until_idle(TIMEOUT)
    assert sorted(p for batch in recorder.batches for p, _ in batch) == paths


def test_set_debounce_applies_to_later_submits(make, recorder: Recorder) -> None:
    scheduler = make(debounce=60)
    scheduler.set_debounce(0.01)
    scheduler.submit("a.py", None)
    assert scheduler.wait_until_idle(TIMEOUT)
    assert recorder.batches == [[("a.py", False)]]


def test_apply_now_is_done_once_its_change_is_written(make, recorder: Recorder) -> None:
    scheduler = make(debounce=5.0)
    # A batch just ran, so a job would come before any due entry: apply_now must still
    # have written its change when its future is done.
    scheduler.submit("a.py", None, delay=0)
    assert scheduler.wait_until_idle(TIMEOUT)
    scheduler.submit("b.py", None)  # debounced, then taken over by apply_now
    scheduler.apply_now("b.py", None).result(TIMEOUT)
    assert recorder.batches[-1] == [("b.py", False)]
    assert scheduler.queued == 0
    assert scheduler.stats.superseded == 1


def test_a_write_started_by_flush_counts_until_it_ends(recorder: Recorder) -> None:
    """`flush` may hand its write to another thread: the scheduler is not idle until
    that write is over, and a write that runs on and on shows as stuck (status turns
    it into an error), while edits keep being applied meanwhile."""
    writing: Future[int] = Future()
    scheduler = ChangeScheduler(recorder, debounce=0.0, flush=lambda: writing, flush_after=0.0)
    try:
        scheduler.submit("a.py", None, delay=0)
        scheduler.flush_later()
        assert recorder.applied.wait(TIMEOUT)
        assert not scheduler.wait_until_idle(0.2)
        assert scheduler.stuck_for() > 0
        recorder.applied.clear()
        scheduler.submit("b.py", None, delay=0)
        assert recorder.applied.wait(TIMEOUT)  # applied while the write runs
        writing.set_result(1)
        assert scheduler.wait_until_idle(TIMEOUT)
        assert scheduler.stuck_for() == 0
    finally:
        scheduler.close(TIMEOUT)


class Gate:
    """An `apply` that holds the writer inside each batch until `release` is set."""

    def __init__(self, fail: bool = False) -> None:
        self.entered, self.release = threading.Event(), threading.Event()
        self.applied: list[str] = []
        self.fail = fail

    def __call__(self, batch: list[PendingChange]) -> None:
        self.entered.set()
        assert self.release.wait(TIMEOUT)
        self.applied.extend(c.path for c in batch)
        if self.fail:
            raise RuntimeError("this batch fails")


def test_a_reader_waits_for_a_save_but_not_for_typing() -> None:
    gate = Gate()
    scheduler = ChangeScheduler(gate, debounce=60)
    try:
        scheduler.submit("typed.py", doc("typed.py"))  # inside its debounce
        assert scheduler.applied_due() is None
        scheduler.submit("saved.py", doc("saved.py"), delay=0)
        due = scheduler.applied_due()
        assert due is not None
        assert gate.entered.wait(TIMEOUT)  # the save is in hand now
        in_hand = scheduler.applied_due()
        assert in_hand is not None
        assert not due.done() and not in_hand.done()
        gate.release.set()
        due.result(TIMEOUT)
        in_hand.result(TIMEOUT)
        assert gate.applied == ["saved.py"]  # done once applied, typing still waits
        assert scheduler.applied_due() is None
    finally:
        gate.release.set()
        scheduler.close(TIMEOUT)


def test_a_reader_at_a_position_has_that_buffer_applied_now(make, recorder: Recorder) -> None:
    scheduler = make(debounce=60)
    scheduler.submit("typed.py", doc("typed.py"))
    scheduler.submit("other.py", doc("other.py"))
    due = scheduler.applied_due(now_for=["typed.py"])
    assert due is not None
    due.result(TIMEOUT)  # not a minute later
    assert recorder.batches == [[("typed.py", True)]]
    assert scheduler.queued == 1  # the other buffer's typing still waits


def test_a_reader_waits_for_a_buffer_opened_just_before() -> None:
    gate = Gate()
    scheduler = ChangeScheduler(gate, debounce=60)
    try:
        opened = scheduler.apply_now("opened.py", doc("opened.py"))  # a job of its own
        due = scheduler.applied_due()
        assert due is not None
        assert gate.entered.wait(TIMEOUT)
        assert not due.done()
        gate.release.set()
        due.result(TIMEOUT)
        opened.result(TIMEOUT)
        assert gate.applied == ["opened.py"]
        assert scheduler.applied_due() is None
    finally:
        gate.release.set()
        scheduler.close(TIMEOUT)


def test_a_reader_is_not_held_by_more_files_than_it_allows() -> None:
    gate = Gate()  # holds the first batch while in hand; the rest stay due
    scheduler = ChangeScheduler(gate, debounce=60)
    try:
        for n in range(3):
            scheduler.submit(f"switched_{n}.py", None, delay=0)  # a branch switch
        assert gate.entered.wait(TIMEOUT)
        assert scheduler.applied_due(most=2) is None
        assert scheduler.applied_due(most=3) is not None
        gate.release.set()
        assert scheduler.wait_until_idle(TIMEOUT)
        assert sorted(gate.applied) == [f"switched_{n}.py" for n in range(3)]
    finally:
        gate.release.set()
        scheduler.close(TIMEOUT)


def test_a_reader_is_not_held_by_a_job_or_a_closed_scheduler(make) -> None:
    scheduler = make(debounce=60)
    release = park(scheduler)  # a full index, say
    scheduler.submit("saved.py", doc("saved.py"), delay=0)
    assert scheduler.applied_due() is None
    release.set()
    assert scheduler.wait_until_idle(TIMEOUT)
    scheduler.close(TIMEOUT)
    assert scheduler.applied_due() is None


def test_a_failed_batch_still_wakes_its_readers() -> None:
    gate = Gate(fail=True)
    scheduler = ChangeScheduler(gate, debounce=60, on_error=lambda error: None)
    try:
        scheduler.submit("broken.py", doc("broken.py"), delay=0)
        due = scheduler.applied_due()
        assert due is not None
        gate.release.set()
        assert due.result(TIMEOUT) is None
    finally:
        gate.release.set()
        scheduler.close(TIMEOUT)
