"""A small Python project and pytest-lsp clients running the real `kenning serve` on it,
parameterised over the recorded capabilities of real editors (Neovim 0.11, VS Code)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest
import pytest_asyncio
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from helpers import kenning_env
from kenning.server.protocol import plain

T = TypeVar("T")

CORE = '''\
"""Core helpers."""


def resolve_target(name):
    """Find where a call goes by looking the name up in the registry."""
    return name.upper()


class Registry:
    """Keeps track of registered plugins."""

    def register(self, item):
        return resolve_target(item)
'''

APP = """\
from pkg.core import Registry, resolve_target


def main():
    registry = Registry()
    registry.register("x")
    return resolve_target("y")


def helper():
    return main()
"""

CLIENTS = ["neovim@v0.11.0", "visual_studio_code@v1.65.2"]
# Settings for most tests: no embeddings (fast), a short debounce.
FAST = {"embedding": {"enabled": False}, "debounceMs": 50}


def make_project(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "core.py").write_text(CORE)
    (root / "pkg" / "app.py").write_text(APP)
    (root / ".git").mkdir()
    return root


def uri(root: Path, rel: str) -> str:
    return (root / rel).as_uri()


def capabilities(client: str, progress: bool = True) -> types.ClientCapabilities:
    caps = client_capabilities(client)
    if not progress and caps.window is not None:
        caps.window.work_done_progress = False
    return caps


async def start(
    root: Path,
    client: str = CLIENTS[0],
    options: dict[str, Any] | None = None,
    *,
    progress: bool = True,
    env: dict[str, str] | None = None,
    folders: list[Path] | None = None,
    log_file: Path | None = None,
    args: Sequence[str] = (),
) -> LanguageClient:
    """Start `kenning serve [args]` over stdio and initialize a session for `root`."""
    log = ["--log-file", str(log_file)] if log_file else []
    config = pytest_lsp.ClientServerConfig(
        server_command=[sys.executable, "-m", "kenning", "serve", *log, *args],
        server_env={**kenning_env(), **(env or {})},
    )
    lsp = await config.start()
    assert isinstance(lsp, LanguageClient)
    notes: list[dict[str, Any]] = []
    lsp.status_notifications = notes  # type: ignore[attr-defined]
    lsp.feature("kenning/status")(lambda params: notes.append(plain(params)))
    registrations: list[types.Registration] = []
    lsp.registrations = registrations  # type: ignore[attr-defined]

    @lsp.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        registrations.extend(params.registrations)

    roots = folders or [root]
    lsp.initialize_result = await lsp.initialize_session(  # type: ignore[attr-defined]
        types.InitializeParams(
            capabilities=capabilities(client, progress),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(r.as_uri(), r.name) for r in roots],
            initialization_options=FAST if options is None else options,
        )
    )
    return lsp


async def stop(lsp: LanguageClient) -> None:
    """End the session; the server process is gone (and its index lock free) after."""
    await asyncio.wait_for(lsp.shutdown_session(), 30)
    await lsp.stop()
    server = lsp._server
    if server is not None and server.returncode is None:
        # shutdown_session skips a client that saw an error: do not leave it running.
        server.kill()
        await server.wait()


async def request(lsp: LanguageClient, method: str, params: Any) -> Any:
    """A request by name; the result as plain JSON values (dicts, lists)."""
    return plain(await lsp.protocol.send_request_async(method, params))


async def status(lsp: LanguageClient) -> dict[str, Any]:
    result: dict[str, Any] = await request(lsp, "kenning/status", {})
    return result


async def until(
    probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], timeout: float = 30.0
) -> T:
    """Ask `probe` again until `done` says yes (the daemon works in the background);
    fails with the last answer after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still not there after {timeout} s: {value!r}")
        await asyncio.sleep(0.05)


async def idle(lsp: LanguageClient, timeout: float = 60.0) -> dict[str, Any]:
    """The status once every folder finished indexing (and embedding, when on)."""
    return await until(
        lambda: status(lsp),
        lambda s: s["phase"] in ("idle", "read-only", "error") and s["pending"] == 0,
        timeout,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


@pytest.fixture(scope="module")
def shared_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project for a module of tests that only read."""
    return make_project(tmp_path_factory.mktemp("shared") / "project")


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=CLIENTS)
async def client(
    request: pytest.FixtureRequest, shared_project: Path
) -> AsyncIterator[LanguageClient]:
    """A session of each recorded editor on `shared_project`, indexed (no embeddings),
    shared by a module's tests: they must not change the project."""
    lsp = await start(shared_project, request.param)
    await idle(lsp)
    yield lsp
    await stop(lsp)


@pytest.fixture(params=CLIENTS)
def editor(request: pytest.FixtureRequest) -> str:
    """Each recorded editor, for tests that start their own sessions."""
    return str(request.param)
