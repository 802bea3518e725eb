"""The LSP connection: frames in (`framing.py`), one reply to every request out.

`KenningProtocol.receive` takes a frame's body and does what pygls's reader would,
checking first what pygls takes on trust: the body is JSON (-32700 otherwise), the
envelope is JSON-RPC 2.0 (-32600), the session is initialized (-32002 before
`initialize`) and not shutting down (-32600 after `shutdown`), and the params fit
their LSP type (-32602, naming the fields). A request refused here still gets exactly
one error reply; a refused notification is logged, as there is no one to answer.
`serve_stdio` and `serve_tcp` run pygls's server with this reader in place of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any, BinaryIO

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter
from pygls.protocol import (
    JsonRPCNotification,
    JsonRPCRequestMessage,
    LanguageServerProtocol,
    lsp_method,
)

from kenning.server import jsonrpc
from kenning.server.framing import read_frames

if TYPE_CHECKING:
    from pygls.server import JsonRPCServer

log = logging.getLogger(__name__)

# The most bytes one read asks for.
READ_SIZE = 1 << 16


class KenningProtocol(LanguageServerProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set when `initialize` arrives: from then on requests are served.
        self.initialize_received = False

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Any:
        # The index stores columns in UTF-16 code units, the encoding every client
        # supports; offering others would mean converting every range both ways.
        if params.capabilities.general is not None:
            params.capabilities.general.position_encodings = None
        return (yield from super().lsp_initialize(params))

    # The buffers' text has one owner, kenning's `LiveWorkspace`, which indexes it:
    # pygls's own copy (its workspace's text documents, which kenning never read) is
    # not kept. These replace pygls's built-in handlers, which store the text and then
    # call kenning's.

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> Any:
        yield from self._user_handler(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Any:
        yield from self._user_handler(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> Any:
        yield from self._user_handler(types.TEXT_DOCUMENT_DID_CLOSE, params)

    def _user_handler(self, method: str, params: Any) -> Any:
        handler = self.fm.features.get(method)
        if handler is not None:
            yield handler, (params,), None

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Any,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        # pygls 2.1 files a notification's future under a made-up id like a request's,
        # but only a reply removes a future from there, and a notification gets none:
        # every didChange (whose handlers are generators) kept a future, its lock and
        # its id for the life of the session (about 10 MiB a minute at 100 a second).
        # A future cancelled is left: `shutdown` cancels the pending ones while it
        # iterates over them, and the session ends right after.
        if callback == self._check_handler_result:
            future = self._request_futures.get(msg_id)
            if future is not None:
                future.add_done_callback(
                    lambda done: done.cancelled() or self._request_futures.pop(msg_id, None)
                )

    @property
    def pending_requests(self) -> int:
        """How many handlers' futures are kept (requests being answered)."""
        return len(self._request_futures)

    def receive(self, body: bytes) -> None:
        """Handle one frame's body (see the module's docstring)."""
        try:
            data = jsonrpc.loads(body)
            envelope = jsonrpc.check(data, responses=True)
        except jsonrpc.InvalidMessage as error:
            log.warning("refused a message: %s", error.message)
            self.send_error(error.request_id, error.code, error.message)
            return
        if envelope.kind == "response":
            self._receive_response(envelope, data)
            return
        refusal = self._lifecycle_refusal(envelope)
        if refusal is not None:
            if envelope.kind == "request":
                self.send_error(envelope.id, *refusal)
            log.warning("refused %s %s: %s", envelope.kind, envelope.method, refusal[1])
            return
        message_type = self.get_message_type(envelope.method) or (
            JsonRPCRequestMessage if envelope.kind == "request" else JsonRPCNotification
        )
        # Only the envelope's fields: an unknown top-level member is not the params'
        # fault. JSON-RPC lets a request leave `params` out (Neovim does for `nil`).
        fields = {"jsonrpc": "2.0", "method": envelope.method, "params": envelope.params}
        if envelope.kind == "request":
            fields["id"] = envelope.id
        try:
            message = self._converter.structure(fields, message_type)
        except Exception as error:
            problem = jsonrpc.params_problem(error)
            log.warning("refused %s %s: %s", envelope.kind, envelope.method, problem)
            if envelope.kind == "request":
                self.send_error(envelope.id, jsonrpc.INVALID_PARAMS, problem)
            return
        if envelope.method == types.INITIALIZE:
            self.initialize_received = True
        self.handle_message(message)

    def _lifecycle_refusal(self, envelope: jsonrpc.Envelope) -> tuple[int, str] | None:
        """Why a message cannot be served at this point of the session, if it cannot."""
        if envelope.method == types.EXIT:
            return None
        if not self.initialize_received and envelope.method != types.INITIALIZE:
            return (jsonrpc.SERVER_NOT_INITIALIZED,
                    f"{envelope.method}: the server is not initialized yet; send "
                    "initialize first")  # fmt: skip
        if self._shutdown:
            return (jsonrpc.INVALID_REQUEST,
                    f"{envelope.method}: the server is shutting down; only exit is "
                    "accepted now")  # fmt: skip
        return None

    def _receive_response(self, envelope: jsonrpc.Envelope, data: dict[str, Any]) -> None:
        """The client's answer to one of our requests (a registration, a progress token)."""
        try:
            message = self.structure_message(data)
        except JsonRpcException as error:
            # The request waiting for it fails rather than waiting for ever.
            waiting = self._request_futures.pop(envelope.id, None)  # type: ignore[arg-type]
            log.warning("an unreadable response to request %r: %s", envelope.id, error)
            if waiting is not None and not waiting.done():
                waiting.set_exception(error)
            return
        self.handle_message(message)

    def send_error(self, request_id: jsonrpc.RequestId, code: int, message: str) -> None:
        """An error reply. (pygls's own leaves out an id that is null, which JSON-RPC
        requires in a reply to a message whose id could not be read.)"""
        self._send_data(jsonrpc.error_reply(request_id, code, message))


def _receiver(protocol: KenningProtocol) -> Any:
    def receive(body: bytes) -> None:
        try:
            protocol.receive(body)
        except BrokenPipeError:
            raise  # the client is gone: the session ends
        except Exception:
            # A bug of ours; the next frame is still read.
            log.exception("handling a message failed")

    return receive


def serve_stdio(server: JsonRPCServer, stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Serve one client over stdin/stdout until it exits or closes stdin (as pygls's
    `start_io` does, with kenning's reader)."""
    protocol = server.protocol
    assert isinstance(protocol, KenningProtocol)
    protocol.set_writer(StdoutWriter(stdout))
    # Reads block, so they run on pygls's worker threads, as pygls's own reader's do;
    # read1 returns what has arrived instead of waiting for a whole buffer.
    read = getattr(stdin, "read1", stdin.read)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        await read_frames(
            lambda: loop.run_in_executor(server.thread_pool, read, READ_SIZE), _receiver(protocol)
        )

    try:
        asyncio.run(main())
    except BrokenPipeError:
        log.error("the connection to the client is lost; shutting down")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()


def serve_tcp(server: JsonRPCServer, host: str, port: int) -> None:
    """Serve the client that connects to `host:port`, until it exits or disconnects."""
    protocol = server.protocol
    assert isinstance(protocol, KenningProtocol)

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        protocol.set_writer(writer)
        await read_frames(lambda: reader.read(READ_SIZE), _receiver(protocol))
        server.shutdown()

    async def main() -> None:
        tcp = await asyncio.start_server(connection, host, port)
        server._server = tcp
        log.info("serving LSP on %s", ", ".join(str(s.getsockname()) for s in tcp.sockets))
        async with tcp:
            await tcp.serve_forever()

    with contextlib.suppress(asyncio.CancelledError):  # shutdown() closed the server
        asyncio.run(main())
