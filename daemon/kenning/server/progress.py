"""What the editor shows of long work: work-done progress and the status notification.

`WorkProgress` drives one `$/progress` sequence (create, begin, reports, end) for one
piece of work, throttled, and only for clients that advertised
`window.workDoneProgress` (sending `window/workDoneProgress/create` to any other is a
protocol error). `StatusPublisher` sends `kenning/status` when the status changed,
a few times a second at most. Both live on the event loop; worker threads reach them
through `loop.call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from lsprotocol import types

from kenning.server import protocol

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)

# Reports after the begin are sent at most this often.
REPORT_INTERVAL = 0.2
# `kenning/status` notifications are sent at most this often.
STATUS_INTERVAL = 0.25


def supports_work_done_progress(ls: LanguageServer) -> bool:
    # No capabilities before `initialize`, nor in a daemon with no editor attached.
    capabilities = getattr(ls.protocol, "client_capabilities", None)
    window = capabilities.window if capabilities is not None else None
    return bool(window and window.work_done_progress)


class WorkProgress:
    """One piece of long work (indexing or embedding a folder) as work-done progress.

    `update` begins the sequence if it is not running and otherwise reports (at most
    every REPORT_INTERVAL, always with the latest figures); `finish` ends it. Either
    may be called at any time: a begin still waiting for the client's answer to
    `create` sends what arrived meanwhile once it can.
    """

    def __init__(self, ls: LanguageServer, title: str) -> None:
        self.ls = ls
        self.title = title
        self.enabled = supports_work_done_progress(ls)
        self._token: str | None = None
        self._active = False
        self._latest: tuple[str, int | None] = ("", None)
        self._ending: str | None = None
        self._report_pending = False
        self._last_report = 0.0
        self._begin_task: asyncio.Future[None] | None = None

    def update(self, message: str, percentage: int | None = None) -> None:
        if not self.enabled:
            return
        self._latest = (message, percentage)
        if self._token is None:
            self._token = f"kenning-{uuid.uuid4().hex[:12]}"
            self._ending = None
            self._begin_task = asyncio.ensure_future(self._begin(self._token))
        elif self._active and not self._report_pending:
            loop = asyncio.get_running_loop()
            wait = self._last_report + REPORT_INTERVAL - loop.time()
            self._report_pending = True
            loop.call_later(max(wait, 0.0), self._report)

    def finish(self, message: str) -> None:
        if not self.enabled or self._token is None:
            return
        if self._active:
            self._end(message)
        else:
            self._ending = message  # sent once the begin went out

    async def _begin(self, token: str) -> None:
        try:
            await self.ls.work_done_progress.create_async(token)
        except Exception as error:  # the client refused: show nothing, keep working
            log.info("client refused work-done progress: %s", error)
            self._token = None
            return
        message, percentage = self._latest
        self.ls.work_done_progress.begin(
            token,
            types.WorkDoneProgressBegin(
                title=self.title, message=message, percentage=percentage, cancellable=False
            ),
        )
        self._active = True
        self._last_report = asyncio.get_running_loop().time()
        if self._ending is not None:
            self._end(self._ending)

    def _report(self) -> None:
        self._report_pending = False
        if not self._active or self._token is None:
            return
        message, percentage = self._latest
        self._last_report = asyncio.get_running_loop().time()
        self.ls.work_done_progress.report(
            self._token, types.WorkDoneProgressReport(message=message, percentage=percentage)
        )

    def _end(self, message: str) -> None:
        assert self._token is not None
        self.ls.work_done_progress.end(self._token, types.WorkDoneProgressEnd(message=message))
        self._token = None
        self._active = False
        self._ending = None


class StatusPublisher:
    """Sends `kenning/status` whenever the status changed, throttled."""

    def __init__(
        self, ls: LanguageServer, compute: Callable[[], Awaitable[protocol.StatusResult]]
    ) -> None:
        self.ls = ls
        self._compute = compute
        self._dirty = asyncio.Event()
        self._last: protocol.StatusResult | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    def mark_dirty(self) -> None:
        self._dirty.set()

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            try:
                status = await self._compute()
            except Exception:
                log.exception("computing kenning/status failed")
            else:
                if status != self._last:
                    self._last = status
                    self.ls.protocol.notify(protocol.STATUS_NOTIFICATION, protocol.encode(status))
            await asyncio.sleep(STATUS_INTERVAL)
