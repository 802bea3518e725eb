"""Whole-process measurement of one child command, and the small statistics the bench reports.

``run_measured`` starts a command, samples its process tree's memory while it runs and
reaps it with ``os.wait4`` so that the kernel's own peak-RSS figure for the child comes
back with its exit status. Two memory figures are kept on purpose:

* ``maxrss_bytes`` (wait4): exact, but it is the peak of the *largest single process*
  among the child and the descendants it waited for; it does not add up workers that
  ran at the same time.
* ``tree_rss_bytes`` (psutil, sampled): the largest *sum* of RSS over the child and all
  its descendants seen at a sample. Pages shared after ``fork`` are counted once per
  process, so for a process pool it over-states.
* ``tree_pss_bytes`` (psutil, sampled): the same sum using PSS, which splits each
  shared page between the processes sharing it: the fair total for a process pool.

Sampled figures can miss a spike shorter than the sampling interval: every 20 ms, or
longer where a sample costs more than `SAMPLER_CPU_SHARE` of a core allows (about
250 ms for a full index of Django), so that the sampler does not slow what it
measures. The budget check
uses ``peak_rss_bytes``: the larger of the wait4 figure and the tree PSS sum (or the
tree RSS sum where PSS cannot be read).
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

SAMPLE_INTERVAL_S = 0.02
# The most CPU the sampler may take, as a share of one core. A sample reads each
# process's PSS (`smaps_rollup`, a walk of its page tables): about 5 ms for a full
# index's tree of five processes. Every 20 ms, that took 2.9 s of CPU during Django's
# cold index on a 2-core machine and made the index's wall 11.4 s instead of 10.0 s
# (medians of 3, the sampler every 20 ms against every 200 ms, peaks 434 and 429 MB),
# while a single-threaded command beside it (Axon) lost little: the wait after each
# sample is stretched so that the sampler stays within this share.
SAMPLER_CPU_SHARE = 0.02


@dataclass
class ChildRun:
    """What one measured child process did."""

    argv: list[str]
    returncode: int
    wall_s: float
    maxrss_bytes: int
    tree_rss_bytes: int
    tree_pss_bytes: int | None
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def peak_rss_bytes(self) -> int:
        tree = self.tree_rss_bytes if self.tree_pss_bytes is None else self.tree_pss_bytes
        return max(self.maxrss_bytes, tree)


class _TreeRssSampler(threading.Thread):
    """Polls the summed RSS and PSS of a process and its descendants until told to stop."""

    def __init__(self, pid: int) -> None:
        super().__init__(name="bench-rss-sampler", daemon=True)
        self._pid = pid
        self._stop_event = threading.Event()
        self.peak = 0
        self.peak_pss: int | None = 0

    def run(self) -> None:
        try:
            root = psutil.Process(self._pid)
        except psutil.Error:
            return
        while not self._stop_event.is_set():
            started = time.thread_time()
            rss = pss = 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                return  # the child is gone (or a zombie); wait4 has the final word
            for proc in procs:
                try:
                    if self.peak_pss is None:
                        rss += proc.memory_info().rss
                    else:
                        # One read of smaps_rollup gives both figures.
                        full = proc.memory_full_info()
                        rss += full.rss
                        pss += full.pss
                except psutil.AccessDenied:
                    self.peak_pss = None  # no PSS here; fall back to RSS sums only
                except psutil.Error:
                    continue  # a worker exited between listing and reading
            self.peak = max(self.peak, rss)
            if self.peak_pss is not None:
                self.peak_pss = max(self.peak_pss, pss)
            cost = time.thread_time() - started
            self._stop_event.wait(max(SAMPLE_INTERVAL_S, cost / SAMPLER_CPU_SHARE))

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def run_measured(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout_s: float | None = None,
) -> ChildRun:
    """Run ``argv`` to completion; return its exit code, wall time, peak RSS and output.

    Output goes to temporary files rather than pipes so that a chatty child can never
    block on a full pipe while we sit in ``wait4``. ``wait4`` itself has no timeout, so a
    timer kills a child that runs past ``timeout_s``.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=out, stderr=err, env=env, cwd=cwd)
        sampler = _TreeRssSampler(proc.pid)
        sampler.start()
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout_s, kill) if timeout_s else None
        if timer is not None:
            timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            wall = time.perf_counter() - start
            if timer is not None:
                timer.cancel()
            sampler.stop()
        # We reaped the child ourselves; tell Popen so it never waits on a reused pid.
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ChildRun(
            argv=list(argv),
            returncode=proc.returncode,
            wall_s=wall,
            maxrss_bytes=usage.ru_maxrss * 1024,  # Linux reports KiB
            tree_rss_bytes=sampler.peak,
            tree_pss_bytes=sampler.peak_pss,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            timed_out=killed.is_set(),
        )


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least ``pct`` % at or below it.

    With 50 samples p99 is therefore the maximum; that is the honest reading of so few
    samples, and interpolating would invent a value nobody measured.
    """
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]
