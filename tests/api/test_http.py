"""The HTTP JSON-RPC API of a real `kenning daemon`: every method, batches and
notifications, each JSON-RPC error code, and the checks that keep other users, web
pages and other machines out."""

from __future__ import annotations

import asyncio
import json
import stat
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from api.conftest import Daemon
from helpers import kenning_env
from kenning.server import http
from kenning.server import protocol as p
from server.conftest import make_project


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    running = Daemon(make_project(tmp_path_factory.mktemp("http") / "project"))
    running.wait_idle()
    yield running
    running.stop()


def rpc(method: str, params: Any = None, request_id: Any = 1) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    if request_id is not None:
        message["id"] = request_id
    return message


def error_of(reply: dict[str, Any]) -> tuple[int, str]:
    assert "error" in reply, reply
    return reply["error"]["code"], reply["error"]["message"]


@pytest.mark.slow
def test_every_method_answers_with_its_struct(shared: Daemon) -> None:
    core = (shared.root / "pkg/core.py").as_uri()
    calls: dict[p.Method, Any] = {
        p.SEARCH: {"query": "registry plugins", "limit": 3},
        p.CALL_GRAPH: {"symbol": "resolve_target", "direction": "incoming"},
        p.IMPACT: {"textDocument": {"uri": core}, "position": {"line": 3, "character": 6}},
        p.STATUS: None,
        p.SYMBOLS: {"query": "Registry"},
        p.DESCRIBE: {"symbol": "resolve_target"},
        p.REINDEX_REQUEST: {"uris": [core]},
        p.PAUSE_REQUEST: {},
        p.RESUME_REQUEST: {},
    }
    assert set(calls) == set(p.REQUESTS)
    results: dict[str, Any] = {m.name: msgspec.convert(shared.call(m.name, params), m.result)
               for m, params in calls.items()}  # fmt: skip
    search = results["kenning/search"]
    assert search.hits and search.hits[0].uri.startswith(shared.root.as_uri())
    graph = results["kenning/callGraph"]
    assert {n.qualname for n in graph.nodes} >= {"pkg.app.main", "pkg.core.Registry.register"}
    impact = results["kenning/impact"]
    assert impact.root.qualname == "pkg.core.resolve_target" and impact.total_callers >= 2
    status = results["kenning/status"]
    assert (status.phase, status.files) == ("idle", 3)
    assert [s.qualname for s in results["kenning/symbols"].symbols] == ["pkg.core.Registry"]
    (described,) = results["kenning/describe"].symbols
    assert described.docstring.startswith("Find where a call goes")
    assert described.caller_count == 2
    assert results["kenning/reindex"].targets == [core]
    # Embedding is off in these daemons: nothing to pause, and it says so.
    assert "embedding is off" in results["kenning/pauseEmbedding"].message


@pytest.mark.slow
def test_a_batch_answers_each_request_and_no_notification(shared: Daemon) -> None:
    batch = [
        rpc("kenning/symbols", {"query": "helper"}, request_id="a"),
        rpc("kenning/status", request_id=None),  # a notification: no reply
        rpc("kenning/nope", request_id=7),
        rpc("kenning/search", {"query": ""}, request_id=8),
    ]
    reply = shared.post(json.dumps(batch))
    assert reply.status == 200
    by_id = {r["id"]: r for r in reply.json()}
    assert set(by_id) == {"a", 7, 8}
    assert by_id["a"]["result"]["symbols"][0]["qualname"] == "pkg.app.helper"
    assert error_of(by_id[7])[0] == http.METHOD_NOT_FOUND
    assert error_of(by_id[8]) == (http.INVALID_PARAMS, "invalid params: query must not be empty")


@pytest.mark.slow
def test_notifications_alone_get_no_content(shared: Daemon) -> None:
    assert shared.post(json.dumps(rpc("kenning/status", request_id=None))).status == 204
    batch = [rpc("kenning/status", request_id=None), rpc("kenning/nope", request_id=None)]
    assert shared.post(json.dumps(batch)).status == 204


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        ("{not json", http.PARSE_ERROR, "parse error"),
        ("[]", http.INVALID_REQUEST, "empty batch"),
        ('"hello"', http.INVALID_REQUEST, "must be a JSON object"),
        ('{"id": 1, "method": "kenning/status"}', http.INVALID_REQUEST, '"jsonrpc" must be'),
        ('{"jsonrpc": "2.0", "id": 1}', http.INVALID_REQUEST, '"method" must be a string'),
        ('{"jsonrpc": "2.0", "id": 1, "method": "kenning/status", "params": 3}',
         http.INVALID_REQUEST, "params must be"),
        ('{"jsonrpc": "2.0", "id": 1, "method": "kenning/cypher"}', http.METHOD_NOT_FOUND,
         "method not found: 'kenning/cypher'"),
        ('{"jsonrpc": "2.0", "id": 1, "method": "kenning/search", "params": {"query": "x", '
         '"limit": 100000}}', http.INVALID_PARAMS, "limit must be between 1 and 200"),
        ('{"jsonrpc": "2.0", "id": 1, "method": "kenning/callGraph", "params": {"symbol": '
         '"nothing_like_it"}}', -32803, "nothing_like_it"),
    ],
    ids=["parse", "empty-batch", "not-object", "no-jsonrpc", "no-method", "bad-params-type",
         "unknown-method", "limit", "unknown-symbol"],
)  # fmt: skip
@pytest.mark.slow
def test_errors_say_what_is_wrong(shared: Daemon, body: str, code: int, says: str) -> None:
    reply = shared.post(body)
    assert reply.status == 200
    got_code, message = error_of(reply.json())
    assert got_code == code and says in message, message


@pytest.mark.slow
def test_a_batch_over_the_limit_is_refused(shared: Daemon) -> None:
    batch = [rpc("kenning/status", request_id=i) for i in range(http.MAX_BATCH + 1)]
    code, message = error_of(shared.post(json.dumps(batch)).json())
    assert code == http.INVALID_REQUEST and f"limit of {http.MAX_BATCH}" in message


@pytest.mark.slow
def test_a_body_over_the_limit_is_refused_unread(shared: Daemon) -> None:
    query = "x" * (http.MAX_BODY_BYTES + 1)
    reply = shared.post(json.dumps(rpc("kenning/search", {"query": query})))
    assert reply.status == 413
    assert "over the limit" in reply.json()["error"]["message"]


@pytest.mark.slow
def test_paths_outside_the_workspace_are_refused(shared: Daemon, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.py"
    outside.write_text("def f(): pass\n")
    for method, params in [
        ("kenning/reindex", {"uris": [outside.as_uri()]}),
        ("kenning/impact", {"textDocument": {"uri": outside.as_uri()},
                            "position": {"line": 0, "character": 4}}),
    ]:  # fmt: skip
        code, message = error_of(shared.post(json.dumps(rpc(method, params))).json())
        assert code == http.INVALID_PARAMS and "outside the workspace" in message


@pytest.mark.parametrize(
    ("headers", "status", "says"),
    [
        ({"Authorization": "Bearer wrong"}, 401, "bearer token"),
        ({"Authorization": ""}, 401, "bearer token"),
        ({"Host": "evil.example:80"}, 403, "not a loopback name"),
        ({"Origin": "http://evil.example"}, 403, "Origin"),
        ({"Origin": "null"}, 403, "Origin"),
    ],
    ids=["wrong-token", "no-token", "rebinding-host", "web-page", "null-origin"],
)
@pytest.mark.slow
def test_strangers_are_refused(shared: Daemon, headers: dict[str, str], status: int,
                               says: str) -> None:  # fmt: skip
    reply = shared.post(json.dumps(rpc("kenning/status")), headers)
    assert reply.status == status
    assert says in reply.json()["error"]["message"]
    assert "result" not in reply.json()


@pytest.mark.slow
def test_loopback_host_names_are_accepted(shared: Daemon) -> None:
    port = shared.url.rsplit(":", 1)[1]
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "localhost"):
        assert shared.post(json.dumps(rpc("kenning/status")), {"Host": host}).status == 200


# Loopback names and addresses, any case, an optional numeric port: nothing else.
HOSTS = {
    "localhost": True, "LOCALHOST": True, "LocalHost:8080": True, "127.0.0.1": True,
    "127.0.0.1:80": True, "127.5.6.7:1": True, "[::1]": True, "[::1]:65535": True,
    "": False, "localhost:80@evil.com": False, "[::1]evil": False, "evil.example": False,
    "localhost.": False, "localhost:": False, "localhost:99999": False, "localhost:+80": False,
    "127.1": False, "127.0.0.01": False, "128.0.0.1": False, "::1": False, "[::1%lo]": False,
    "[::2]": False, "[127.0.0.1]": False, "0.0.0.0": False, "localhost.evil.com": False,
    "evil.com#localhost": False, "localhost:80:80": False, "127.0.0.1 ": False,
    "\uff4cocalhost": False, "\uff11\uff12\uff17.0.0.1": False,
}  # fmt: skip


@pytest.mark.parametrize(("host", "accepted"), HOSTS.items(), ids=[repr(h) for h in HOSTS])
def test_the_host_header_is_parsed(host: str, accepted: bool) -> None:
    assert http.loopback_host(host, "127.0.0.1") is accepted


@pytest.mark.slow
def test_the_host_check_over_the_wire(shared: Daemon) -> None:
    body = json.dumps(rpc("kenning/status")).encode()
    auth = b"Authorization: Bearer " + shared.token.encode()

    def status(*headers: bytes, version: bytes = b"1.1") -> int:
        head = b"\r\n".join([b"POST /rpc HTTP/" + version, auth, b"Connection: close", *headers])
        return shared.raw(head, body)[0]

    assert status(b"Host: LOCALHOST") == 200
    assert status(b"Host: [::1]:80") == 200
    for refused in (b"", b"localhost:80@evil.com", b"[::1]evil", b"localhost\xff"):
        assert status(b"Host: " + refused) == 403, refused
    # Two Host headers: aiohttp's parser refuses them before kenning sees them.
    assert status(b"Host: localhost", b"Host: evil.example") in (400, 403)
    # HTTP/1.0 needs no Host header, and aiohttp would stand in the socket's address.
    assert status(version=b"1.0") == 403


@pytest.mark.slow
def test_a_token_that_is_not_utf8_is_refused_not_a_crash(shared: Daemon) -> None:
    head = b"POST /rpc HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \xff\xfe\x80"
    code, _, body = shared.raw(head, json.dumps(rpc("kenning/status")).encode())
    assert code == 401
    assert "bearer token" in json.loads(body)["error"]["message"]


@pytest.mark.slow
def test_a_refused_request_closes_its_connection(shared: Daemon) -> None:
    # No `Connection: close`: the reply comes and then the server hangs up (`raw`
    # reads until it does).
    code, headers, _ = shared.raw(b"POST /rpc HTTP/1.1\r\nHost: localhost", b"{}")
    assert code == 401
    assert b"connection: close" in headers.lower()


def strict_json(body: bytes) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(body, parse_constant=refuse)


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        ("[" * 100_000 + "]" * 100_000, http.PARSE_ERROR, "nests too deeply"),
        ('{"jsonrpc": "2.0", "id": NaN, "method": "kenning/status"}', http.INVALID_REQUEST,
         "not NaN"),
        ('{"jsonrpc": "2.0", "id": Infinity, "method": "kenning/status"}', http.INVALID_REQUEST,
         "not Infinity"),
        ('[{"jsonrpc": "2.0", "id": -Infinity, "method": "kenning/status"}]',
         http.INVALID_REQUEST, "not -Infinity"),
        ('{"jsonrpc": "2.0", "id": {"a": 1}, "method": "kenning/status"}', http.INVALID_REQUEST,
         "not an object"),
        ('{"jsonrpc": "2.0", "id": 1.5, "method": "kenning/status"}', http.INVALID_REQUEST,
         "not a fraction"),
    ],
    ids=["deep", "nan-id", "infinity-id", "batch-minus-infinity-id", "object-id", "fraction-id"],
)  # fmt: skip
@pytest.mark.slow
def test_unusable_ids_and_deep_nesting_get_valid_json(shared: Daemon, body: str, code: int,
                                                      says: str) -> None:  # fmt: skip
    reply = shared.post(body)
    assert reply.status == 200
    parsed = strict_json(reply.body)
    (answer,) = parsed if isinstance(parsed, list) else [parsed]
    assert answer["id"] is None
    got_code, message = error_of(answer)
    assert got_code == code and says in message, message


@pytest.mark.slow
def test_health(shared: Daemon) -> None:
    reply = shared.post(b"", path="/health")
    assert reply.status == 200
    assert reply.json()["pid"] == shared.process.pid
    assert shared.post(b"", path="/health", auth=False).status == 401


@pytest.mark.slow
def test_the_token_and_address_are_the_users_alone(shared: Daemon) -> None:
    token = Path(shared.record.token_file)
    assert token.parent == shared.index
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    record = shared.index / "daemon.json"
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert json.loads(record.read_text())["url"].startswith("http://127.0.0.1:")


@pytest.mark.slow
def test_a_clean_exit_removes_the_record(project: Path) -> None:
    running = Daemon(project)
    assert (project / ".kenning/daemon.json").exists()
    assert running.stop() == 0
    assert not (project / ".kenning/daemon.json").exists()


@pytest.mark.slow
def test_binding_beyond_loopback_needs_consent(project: Path) -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "kenning", "daemon", str(project), "--http", "0.0.0.0:0"],
        env=kenning_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "--allow-remote" in refused.stderr
    running = Daemon(project, "--http", "0.0.0.0:0", "--allow-remote")
    try:
        assert running.url.startswith("http://0.0.0.0:")
        running.wait_idle()
    finally:
        running.stop()
    assert "reachable from other machines" in running.stderr


@pytest.mark.slow
def test_a_second_daemon_on_the_same_folder_exits_saying_who_owns_it(shared: Daemon) -> None:
    second = subprocess.run(
        [sys.executable, "-m", "kenning", "daemon", str(shared.root)],
        env=kenning_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert second.returncode == 4
    assert f"kenning pid {shared.process.pid} already serves" in second.stderr


async def test_a_method_that_fails_unexpectedly_is_an_internal_error() -> None:
    """The one code no real method should give: an ApiServer with a method that
    raises, to see that the reply still comes, with the reason and the request's id."""

    class Stand:  # only what the endpoint reads of the language server
        def __init__(self) -> None:
            self.folders = {"file:///w": object()}

    async def broken(params: Any, scope: Any) -> Any:
        raise RuntimeError("the disk caught fire")

    server = http.ApiServer(Stand(), "127.0.0.1", 0, {"test/broken": broken})  # type: ignore[arg-type]
    url = await server.start()
    server.grant("file:///w", "secret")
    try:
        body = json.dumps(rpc("test/broken", request_id=41)).encode()
        sent = urllib.request.Request(f"{url}/rpc", data=body,
                                      headers={"Authorization": "Bearer secret"})  # fmt: skip
        raw = await asyncio.to_thread(lambda: urllib.request.urlopen(sent, timeout=10).read())
        reply = json.loads(raw)
    finally:
        await server.stop()
    assert reply["id"] == 41
    assert error_of(reply) == (http.INTERNAL_ERROR, "internal error: the disk caught fire")
