"""`kenning daemon` processes on the server tests' project, and raw HTTP to them.

`Daemon` starts the real CLI command in its own process group, waits until its owner
record names it, and reads the address and token from the index folder as any client
would. `post` sends bytes to `/rpc` with whatever headers a test needs (urllib, so a
test controls every header; `Host` included).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from helpers import kenning_env
from kenning.api import owner
from server.conftest import make_project

START_TIMEOUT = 60.0


@dataclass
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Daemon:
    def __init__(self, root: Path, *args: str, descriptors: int | None = None) -> None:
        """`descriptors`: the most file descriptors the daemon may open."""
        self.root = root
        self.index = root / ".kenning"
        self.log = root.parent / f"daemon-{time.monotonic_ns()}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kenning", "daemon", str(root), "--no-embeddings",
             "--log-file", str(self.log), *args],
            env=kenning_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=None if descriptors is None else partial(_limit_descriptors, descriptors),
        )  # fmt: skip
        self.stderr = ""
        self.record = self.wait_for_record()
        self.url = self.record.url
        self.token = self.record.token()

    def wait_for_record(self) -> owner.OwnerRecord:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            record = owner.read(self.index)
            if record is not None and record.pid == self.process.pid:
                return record
            if self.process.poll() is not None:
                raise AssertionError(f"kenning daemon exited {self.process.returncode}:\n"
                                     f"{self.process.stderr.read() if self.process.stderr else ''}"
                                     f"\n{self.logs()}")  # fmt: skip
            time.sleep(0.1)
        raise AssertionError(f"kenning daemon published no address in {START_TIMEOUT} s\n"
                             f"{self.logs()}")  # fmt: skip

    def logs(self) -> str:
        return self.log.read_text() if self.log.exists() else "(no log)"

    def post(self, body: bytes | str, headers: dict[str, str] | None = None,
             path: str = "/rpc", auth: bool = True) -> Reply:  # fmt: skip
        data = body.encode() if isinstance(body, str) else body
        sent = {"Content-Type": "application/json", **(headers or {})}
        if auth and "Authorization" not in sent:
            sent["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(f"{self.url}{path}", data=data, headers=sent,
                                         method="POST" if path == "/rpc" else "GET")  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return Reply(response.status, response.read())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read())

    def raw(self, head: bytes, body: bytes = b"") -> tuple[int, bytes, bytes]:
        """Send `head` (request line and headers, without the blank line) and `body` as
        they are, on a socket of its own; the status, the headers and the body of the
        reply. The server closes the connection after it (the tests send
        `Connection: close`, or it closes after refusing)."""
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(head + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        headers, _, reply = received.partition(b"\r\n\r\n")
        return int(headers.split(b" ", 2)[1]), headers, reply

    def call(self, method: str, params: Any = None) -> Any:
        """A request that must succeed; its result."""
        reply = self.post(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                                      "params": params or {}})).json()  # fmt: skip
        assert "result" in reply, f"{method} failed: {reply}\n{self.logs()}"
        return reply["result"]

    def wait_idle(self, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            status = self.call("kenning/status")
            if status["phase"] == "idle" or time.monotonic() > deadline:
                assert status["phase"] == "idle", status
                return status
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal the daemon, wait for it (reaped: its pid is gone after) and keep what
        it printed in `stderr`."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            code = self.process.wait()
        if self.process.stderr is not None and not self.process.stderr.closed:
            self.stderr = self.process.stderr.read()
            self.process.stderr.close()
        return code


def _limit_descriptors(count: int) -> None:
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (count, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


@pytest.fixture
def daemon(project: Path) -> Iterator[Daemon]:
    running = Daemon(project)
    running.wait_idle()
    yield running
    running.stop()
