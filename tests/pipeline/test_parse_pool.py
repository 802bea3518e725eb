"""The parse pool of a full index leaves no process behind once parsing is over."""

from __future__ import annotations

from pathlib import Path

import psutil

from kenning.pipeline.parse_pool import FILES_PER_TASK, ParseJob, parse_files


def pool_helpers(kind: str) -> list[psutil.Process]:
    """This process's children running multiprocessing's `kind` (`forkserver`,
    `resource_tracker`)."""
    return [
        child
        for child in psutil.Process().children(recursive=True)
        if kind in " ".join(child.cmdline())
    ]


def fork_servers() -> list[psutil.Process]:
    return pool_helpers("forkserver")


def test_parsing_in_workers_leaves_no_fork_server_behind(tmp_path: Path) -> None:
    """A full index parses in worker processes forked from a fork server; the peak of
    its memory comes after parsing, so nothing of the pool may stay: not the workers,
    not the fork server (about 13 MB, idle until the process ended), not the resource
    tracker the pool started (about 7 MB)."""
    count = FILES_PER_TASK * 3
    jobs = []
    for n in range(count):
        path = tmp_path / f"m{n}.py"
        path.write_text(f"def f{n}():\n    return {n}\n")
        stat = path.stat()
        jobs.append(ParseJob(path.name, "python", f"m{n}", stat.st_size, stat.st_mtime_ns))
    pieces = parse_files(tmp_path, jobs, 1 << 20, workers=2)
    parsed = next(pieces).parsed
    assert fork_servers()  # workers parse the other slices meanwhile
    for piece in pieces:
        parsed += piece.parsed
    assert sorted(p.facts.path for p in parsed) == sorted(j.path for j in jobs)
    assert fork_servers() == []
    assert pool_helpers("resource_tracker") == []
