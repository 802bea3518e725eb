"""One owner per workspace: which daemon writes each folder's index, and what the others do.

The daemon that takes a folder's writer lock owns it: it indexes the folder, serves it
over the HTTP API (`http.ApiServer`) and publishes its address and token in the index
folder (`api.owner`). A daemon that finds the lock taken and a live owner there becomes
a relay for that folder: it forwards its editor's queries to the owner, and its
editor's buffers (`kenning/peer/document`, whole texts, newest first coalesced), so
both editors get answers and both editors' edits are indexed. A relay checks on the
owner every `PEER_CHECK_SECONDS`; when the owner is gone (it exited, or was killed) it
takes the lock over and indexes the folder itself, its editor's open buffers included.

When the lock is held by a process with no API (`kenning index`, or a daemon started
with `--no-http`), the folder is opened read-only, as before, until the lock is free.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from kenning.api import owner
from kenning.api.client import ApiError, AsyncApiClient, OwnerGone
from kenning.engine.live import Outcome
from kenning.server import convert
from kenning.server import protocol as p
from kenning.server.backends import LocalBackend, RemoteBackend
from kenning.server.errors import RequestError
from kenning.server.folder import Folder
from kenning.storage.index_dir import IndexDir, IndexLocked

if TYPE_CHECKING:
    from kenning.core.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

# How often a relay checks that its folder's owner is still there.
PEER_CHECK_SECONDS = 2.0
# How long a daemon that finds the index locked waits for the owner's record: the
# owner takes the lock a moment before it can publish its address.
OWNER_RECORD_WAIT = 3.0
# How often an owner looks for relays that died without detaching.
REAP_SECONDS = 5.0


class Api(Protocol):
    """The HTTP API as ownership uses it (`http.ApiServer`)."""

    url: str

    def grant(self, folder_uri: str, token: str) -> None: ...

    def revoke(self, folder_uri: str) -> None: ...

    async def stop(self) -> None: ...


# Starts the HTTP API on (host, port), serving the host's folders.
ApiFactory = Callable[[str, int], Awaitable[Api]]


class Host(Protocol):
    """What ownership needs of the core that holds the folders (`Workspaces`)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def folders(self) -> Mapping[str, Folder]: ...

    async def run(self, fn: Callable[..., T], *args: Any) -> T: ...

    def local_backend(self, folder: Folder) -> LocalBackend: ...

    def catch_up(self, folder: Folder) -> None: ...

    def watch(self, folder: Folder) -> Awaitable[None]: ...

    def status_changed(self) -> None: ...


@dataclass
class _Relay:
    """A folder another daemon owns (or may own again): the buffer events waiting to
    be forwarded, and the tasks that send them and check on the owner."""

    # (event, path) in the order they happened; texts are read when sent.
    outbox: list[tuple[p.PeerEvent, str]] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class Ownership:
    def __init__(
        self, host: Host, api_address: tuple[str, int] | None, api_factory: ApiFactory | None
    ) -> None:
        self.host = host
        # Where to serve the HTTP API; None: no API (a second daemon then opens the
        # folders this one owns read-only).
        self.api_address = api_address if api_factory is not None else None
        self._api_factory = api_factory
        self.api: Api | None = None
        # Names this daemon's editor session to the owners it forwards buffers to.
        self.session = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._relays: dict[str, _Relay] = {}
        self._reaper: asyncio.Task[None] | None = None

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await self.host.run(fn, *args)

    # -- opening a folder ---------------------------------------------------------------

    async def open(self, folder: Folder) -> Outcome:
        """Open `folder` as its owner, as a relay to its owner, or read-only; its
        backend is chosen here."""
        folder.backend = self.host.local_backend(folder)
        try:
            return await self._run(partial(folder.live.open, read_only_fallback=False))
        except IndexLocked as locked:
            record = await self._wait_for_owner(folder)
            if record is not None:
                self._attach(folder, record)
                return Outcome(writer=False)
            outcome = await self._run(folder.live.open_read_only, str(locked))
            self._watch(folder)  # to take over once the lock is free
            return outcome

    async def _wait_for_owner(self, folder: Folder) -> owner.OwnerRecord | None:
        if self.api_address is None:
            return None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + OWNER_RECORD_WAIT
        while True:
            record = await self._run(owner.find_owner, folder.index_path)
            if record is not None or loop.time() >= deadline:
                return record
            await asyncio.sleep(0.2)

    def _attach(self, folder: Folder, record: owner.OwnerRecord) -> None:
        timeout = self.host.settings.request_timeout_ms / 1000 + 5
        peer = AsyncApiClient(record, timeout=timeout)
        folder.backend = RemoteBackend(folder, peer, self.take_over)
        log.info("%s is indexed by kenning pid %d at %s; forwarding to it",
                 folder.root, record.pid, record.url)  # fmt: skip
        self._watch(folder)
        for rel in list(folder.live.documents):
            self.buffer(folder, "open", rel)

    def _watch(self, folder: Folder) -> None:
        relay = self._relays.setdefault(folder.uri, _Relay())
        if not relay.tasks:
            relay.tasks = [
                asyncio.ensure_future(self._send_buffers(folder, relay)),
                asyncio.ensure_future(self._check_owner(folder, relay)),
            ]

    # -- owning a folder -----------------------------------------------------------------

    async def publish(self, folder: Folder) -> None:
        """Serve `folder` over HTTP and record this daemon as its owner."""
        if self.api_address is None:
            return
        if self.api is None:
            assert self._api_factory is not None
            self.api = await self._api_factory(*self.api_address)
            self._reaper = asyncio.ensure_future(self._reap_relays())
        token_file, token = await self._run(owner.new_token, folder.index_path)
        self.api.grant(folder.uri, token)
        await self._run(owner.publish, folder.index_path, folder.root, self.api.url, token_file)

    def withdraw(self, folder: Folder) -> None:
        """Stop answering for `folder`: its record goes (blocking; on close)."""
        if self.api is not None:
            self.api.revoke(folder.uri)
        if folder.live.writer:
            owner.withdraw(folder.index_path)

    async def release(self, folder: Folder) -> None:
        """`folder` leaves the workspace: withdraw, or detach from its owner."""
        self.withdraw(folder)
        relay = self._relays.pop(folder.uri, None)
        if relay is not None:
            for task in relay.tasks:
                task.cancel()
        await self._detach(folder)

    async def close(self) -> None:
        """Before shutdown: tell owners this editor's buffers are closed, stop the API."""
        for uri in list(self._relays):
            folder = self.host.folders.get(uri)
            if folder is not None:
                await self.release(folder)
        if self._reaper is not None:
            self._reaper.cancel()
        for folder in self.host.folders.values():
            self.withdraw(folder)
        if self.api is not None:
            await self.api.stop()
            self.api = None

    async def _detach(self, folder: Folder) -> None:
        peer = folder.peer
        if peer is None:
            return
        folder.backend = self.host.local_backend(folder)
        try:
            detach = p.PeerDocumentParams(session=self.session, event="detach")
            await asyncio.wait_for(peer.call(p.PEER_DOCUMENT.name, p.encode(detach)), 2)
        except (OwnerGone, ApiError, TimeoutError) as error:
            log.info("could not detach from the owner of %s: %s", folder.root, error)
        await peer.close()

    async def _reap_relays(self) -> None:
        """Close the buffers of relays that died without detaching (kill -9)."""
        while True:
            await asyncio.sleep(REAP_SECONDS)
            for folder in list(self.host.folders.values()):
                for session in folder.live.sessions():
                    if not session.startswith("peer:"):
                        continue
                    pid = session.removeprefix("peer:").split("-", 1)[0]
                    if pid.isdigit() and not owner.pid_alive(int(pid)):
                        log.info("relay pid %s is gone; closing its buffers", pid)
                        folder.live.detach(session)

    # -- relaying -----------------------------------------------------------------------------

    async def _forward(self, folder: Folder, method: str, params: Any) -> None:
        """Send a buffer event to the folder's owner; when it is gone, take over (the
        event is then applied here, from the buffers this daemon holds)."""
        backend = folder.backend
        if not isinstance(backend, RemoteBackend) or backend.peer is None:
            return
        peer = backend.peer
        try:
            await backend.forward(method, params)
        except OwnerGone:
            await self.take_over(folder, peer)

    def buffer(self, folder: Folder, event: p.PeerEvent, rel: str) -> None:
        """Queue one of our editor's buffer events for the owner (a relay only). The
        text is read when the event is sent, so typing costs nothing here."""
        relay = self._relays.get(folder.uri)
        if folder.peer is None or relay is None:
            return
        last = relay.outbox[-1] if relay.outbox else None
        if event == "change" and last in (("open", rel), ("change", rel)):
            return  # typing: the text queued for this buffer will be the newest
        relay.outbox.append((event, rel))
        relay.ready.set()

    def _peer_event(self, folder: Folder, event: p.PeerEvent, rel: str) -> p.PeerDocumentParams:
        """A queued event as sent: the buffer's text as it is now, for open and change."""
        document = folder.live.documents.get(rel)
        text = document.text() if document is not None and event in ("open", "change") else None
        return p.PeerDocumentParams(
            session=self.session, event=event, uri=convert.path_to_uri(folder.root, rel),
            text=text, version=document.version if document is not None else 0,
        )  # fmt: skip

    async def _send_buffers(self, folder: Folder, relay: _Relay) -> None:
        while True:
            await relay.ready.wait()
            relay.ready.clear()
            while relay.outbox and folder.peer is not None:
                event, rel = relay.outbox.pop(0)
                item = self._peer_event(folder, event, rel)
                if item.event in ("open", "change") and item.text is None:
                    continue  # closed since: its "close" is queued behind
                try:
                    await self._forward(folder, p.PEER_DOCUMENT.name, p.encode(item))
                except RequestError as error:
                    log.warning("forwarding %s of %s failed: %s", item.event, item.uri, error)

    async def _check_owner(self, folder: Folder, relay: _Relay) -> None:
        while self.host.folders.get(folder.uri) is folder:
            await asyncio.sleep(PEER_CHECK_SECONDS)
            peer = folder.peer
            try:
                if peer is not None:
                    await peer.health()
                    # The owner's counts move on their own: our editor's status follows.
                    self.host.status_changed()
                elif folder.live.writer:
                    return
                elif await self._run(IndexDir(folder.index_path).owner) is None:
                    await self.take_over(folder, None)
            except OwnerGone:
                await self.take_over(folder, peer)
            except (ApiError, TimeoutError) as error:
                log.info("the owner of %s did not answer: %s", folder.root, error)
            except Exception:
                log.exception("checking on the owner of %s failed", folder.root)

    async def take_over(self, folder: Folder, gone: AsyncApiClient | None) -> None:
        """The owner `gone` went away: own the folder, or follow whoever did."""
        relay = self._relays.setdefault(folder.uri, _Relay())
        async with relay.lock:
            if folder.peer is not gone or folder.live.writer:
                return  # handled already
            if folder.live.engine is not None:  # read-only until now
                await self._run(folder.live.close)
            try:
                await self._run(partial(folder.live.open, read_only_fallback=False))
            except IndexLocked as locked:
                record = await self._wait_for_owner(folder)
                folder.backend = self.host.local_backend(folder)
                if record is not None and (gone is None or record.pid != gone.owner.pid):
                    self._attach(folder, record)
                else:
                    await self._run(folder.live.open_read_only, str(locked))
                if gone is not None:
                    await gone.close()
                self.host.status_changed()
                return
            folder.backend = self.host.local_backend(folder)
            if gone is not None:
                await gone.close()
                log.info("kenning pid %d, which indexed %s, is gone; this daemon indexes it",
                         gone.owner.pid, folder.root)  # fmt: skip
            relay.outbox.clear()
            self.host.catch_up(folder)
            # What this editor has open is indexed as it is in the editor.
            for rel in list(folder.live.documents):
                folder.live.resubmit(rel)
            await self.publish(folder)
            await self.host.watch(folder)
            self.host.status_changed()
