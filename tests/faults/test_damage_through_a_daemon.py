"""A chunk-table page garbled on disk while a daemon serves the index, met by a search
through the daemon: the client gets one request error naming the fix, over HTTP and
over LSP, never an internal error (-32603) or a traceback.

The check at open reads no data pages, so this damage is found only by the query that
reads the page; the garbling happens after the daemon opened the index, as it would
when a disk goes bad under a running editor.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from api.conftest import Daemon
from kenning.core.settings import EmbeddingSettings, Settings
from server.conftest import FAST, request, start, stop
from server.conftest import idle as lsp_idle

from .test_index_damage import fragment, garble, indexed_sources

REQUEST_FAILED = -32803
INTERNAL_ERROR = -32603
SEARCH = {"query": "parse header number 2", "limit": 3}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    no_embedding = Settings(embedding=EmbeddingSettings(enabled=False))
    return indexed_sources(tmp_path_factory.mktemp("pristine"), no_embedding, embed=False)


def garble_a_data_page(root: Path) -> None:
    """Overwrite an eighth of the chunk table's first data file a tenth of the way in:
    inside its pages, which a search decodes, not its footer, which opening reads."""
    data = fragment(root)
    size = data.stat().st_size
    garble(data, size // 10, max(64, size // 8))


def assert_names_the_fix(code: int, message: str) -> None:
    assert code == REQUEST_FAILED, (code, message)
    assert "damaged" in message and "kenning index --rebuild" in message, message
    assert "Traceback" not in message and "\n" not in message, message


@pytest.mark.slow
def test_a_search_over_http_meets_a_garbled_page(pristine: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(pristine, root)
    daemon = Daemon(root)
    try:
        daemon.wait_idle()
        assert daemon.call("kenning/search", SEARCH)["hits"], "no hits before the damage"
        garble_a_data_page(root)
        body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "kenning/search",
                           "params": SEARCH})  # fmt: skip
        reply = daemon.post(body)
        assert reply.status == 200, reply
        error = reply.json()["error"]
        assert_names_the_fix(error["code"], error["message"])
        # The daemon keeps answering what does not read the damaged page.
        assert daemon.call("kenning/status")["phase"] in ("idle", "error")
    finally:
        daemon.stop()
    assert "Traceback" not in daemon.logs(), daemon.logs()


@pytest.mark.slow
async def test_a_search_over_lsp_meets_a_garbled_page(pristine: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(pristine, root)
    log = tmp_path / "serve.log"
    lsp = await start(root, options=FAST, log_file=log)
    try:
        await lsp_idle(lsp)
        assert (await request(lsp, "kenning/search", SEARCH))["hits"]
        garble_a_data_page(root)
        with pytest.raises(JsonRpcException) as refused:
            await request(lsp, "kenning/search", SEARCH)
        assert_names_the_fix(refused.value.code, refused.value.message or "")
    finally:
        await stop(lsp)
    # pygls logs every request error it sends with the handler's stack; the failure of
    # Lance's read must not be among them as an internal error.
    logged = log.read_text()
    assert "JsonRpcInternalError" not in logged and "site-packages/lancedb" not in logged, logged
