"""A restart with nothing changed, whole process, builds side by side.

``python -m bench.restart <workspace>... [--kenning NAME=COMMAND]... [--runs N]
[--embeddings]`` runs ``kenning index <ws> --no-embeddings`` (or, with
``--embeddings``, a plain ``kenning index <ws>``, for an index whose embeddings are
complete) on indexes that are already up to date, alternating the builds run by run so
that load on a shared machine falls on each alike, and prints the median wall and CPU
(user + system, the process and its children) of each build per workspace. A build is
a command line that starts kenning, e.g. ``base='env PYTHONPATH=/tmp/base/daemon
.venv/bin/python -m kenning'``; the default is this checkout's ``python -m kenning``.
A run that parsed anything is reported: the index was not up to date.

With ``--daemon`` it times ``kenning daemon <ws> --no-embeddings`` instead (``kenning
daemon <ws>`` with ``--embeddings``): from the process's start until its HTTP API
answers a first ``kenning/status`` (what the CLI, an agent or a second editor waits
for), and the CPU the daemon used by then (user + system, its children included), then
stops it with SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path


def run_once(command: list[str], workspace: Path, embeddings: bool) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and files parsed of one `kenning index` run."""
    args = [*command, "index", str(workspace), "--json"]
    if not embeddings:
        args.append("--no-embeddings")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{shlex.join(args)} failed:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, int(json.loads(done.stdout).get("parsed", 0))


def daemon_once(command: list[str], workspace: Path, embeddings: bool) -> tuple[float, float, int]:
    """Seconds until a daemon answers its first request, its CPU seconds by then and
    files parsed (0: an up-to-date index is not parsed again)."""
    import psutil

    from kenning.api.client import ApiClient, ApiError, OwnerGone
    from kenning.api.owner import find_owner

    args = [*command, "daemon", str(workspace)]
    if not embeddings:
        args.append("--no-embeddings")
    index_dir = workspace / ".kenning"
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{shlex.join(args)} exited: {process.stderr.read()!r}")  # type: ignore[union-attr]
            owner = find_owner(index_dir)
            if owner is not None and owner.pid == process.pid:
                try:
                    ApiClient(owner, timeout=30).call("kenning/status", {})
                    break
                except (OwnerGone, ApiError, OSError):
                    pass
            time.sleep(0.005)
        wall = time.perf_counter() - start
        times = psutil.Process(process.pid).cpu_times()
        cpu = times.user + times.system + times.children_user + times.children_system
        return wall, cpu, 0
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspaces", nargs="+", type=Path)
    parser.add_argument("--kenning", action="append", default=[], metavar="NAME=COMMAND")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--embeddings", action="store_true")
    parser.add_argument("--daemon", action="store_true", help="time a daemon's first answer")
    args = parser.parse_args()
    builds = [tuple(spec.split("=", 1)) for spec in args.kenning] or [
        ("this", f"{sys.executable} -m kenning")
    ]
    commands = {name: shlex.split(cmd) for name, cmd in builds}
    names = list(commands)
    once = daemon_once if args.daemon else run_once
    print(f"load average {os.getloadavg()[0]:.1f} at start", file=sys.stderr)
    for ws in args.workspaces:
        for name in names:  # one unmeasured run each: pyc files and the page cache
            once(commands[name], ws, args.embeddings)
        walls: dict[str, list[float]] = {n: [] for n in names}
        cpus: dict[str, list[float]] = {n: [] for n in names}
        for i in range(args.runs):
            order = names if i % 2 == 0 else names[::-1]
            for name in order:
                wall, cpu, parsed = once(commands[name], ws, args.embeddings)
                if parsed:
                    print(f"{name} parsed {parsed} files in {ws}", file=sys.stderr)
                walls[name].append(wall)
                cpus[name].append(cpu)
        for name in names:
            print(
                f"{ws.name}\t{name}\twall median {statistics.median(walls[name]):.2f} s "
                f"(runs {', '.join(f'{w:.2f}' for w in walls[name])})"
                + f"\tCPU median {statistics.median(cpus[name]):.2f} s"
            )
    print(f"load average {os.getloadavg()[0]:.1f} at end", file=sys.stderr)


if __name__ == "__main__":
    main()
