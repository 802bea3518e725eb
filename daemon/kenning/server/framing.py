"""LSP's base protocol framing (`Content-Length: N`, a blank line, N bytes of JSON),
read so that one bad frame costs that frame only.

pygls's reader trusts the header: a `Content-Length` that is not a number, or is wrong,
leaves it waiting for a blank line or a body that never comes, and the server answers
nothing ever again. `FrameParser` instead reads header lines one by one, discards
whatever is not a header line (a bad frame's body, the rest of a body whose length was
stated too short), and starts again at the next `Content-Length` header. A body whose
length was stated too long is cut short where the next header shows through it: raw
line breaks cannot occur inside JSON strings and a bare header name is not JSON, so a
`Content-Length: N` line inside a body means the body ended before it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

# A body larger than this is refused as a bad frame (the biggest is a didOpen of a
# large file; the indexer skips files over `maxFileSize` anyway).
MAX_BODY_BYTES = 256 << 20
# A header line longer than this is not a header line.
MAX_HEADER_LINE = 4096

# A header line: an HTTP token, a colon, a value (RFC 9110's field syntax).
_HEADER = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*:[ \t]*(.*?)[ \t]*\r?\n")
# Where the next frame starts, when reading on after junk.
_NEXT_FRAME = re.compile(rb"content-length[ \t]*:", re.I)
# A complete Content-Length line inside a body: the declared length was too long.
_HEADER_IN_BODY = re.compile(rb"content-length[ \t]*:[ \t]*[0-9]+[ \t]*\r?\n", re.I)


@dataclass(frozen=True)
class Frame:
    body: bytes


@dataclass(frozen=True)
class Discarded:
    """Bytes thrown away, and why."""

    size: int
    reason: str


class FrameParser:
    """Bytes in (as they arrive, in any pieces), frames and discards out, in order."""

    def __init__(self, max_body: int = MAX_BODY_BYTES) -> None:
        self._max_body = max_body
        self._buffer = bytearray()
        # The headers of the frame being read (lower-case names), and their size.
        self._headers: dict[bytes, bytes] = {}
        self._header_bytes = 0
        # Its body length, once its headers are complete and valid.
        self._length: int | None = None
        self._body_header_bytes = 0
        # How far the body being read has been searched for a header.
        self._searched = 0
        # Bytes thrown away and not reported yet, and why the first of them were.
        self._junk = 0
        self._junk_reason = ""

    def feed(self, data: bytes) -> list[Frame | Discarded]:
        self._buffer += data
        out: list[Frame | Discarded] = []
        while self._body(out) if self._length is not None else self._header_line(out):
            pass
        self._report_junk(out)
        return out

    # -- headers ----------------------------------------------------------------------

    def _header_line(self, out: list[Frame | Discarded]) -> bool:
        """Consume one header line, or junk; False when more bytes are needed."""
        buffer = self._buffer
        end = buffer.find(b"\n", 0, MAX_HEADER_LINE)
        if end < 0:
            # No line yet: a header line still arriving, or junk (a bad frame's body).
            # Junk before a header is dropped at once, and so is a line too long to be
            # a header, so the buffer stays small while a long bad body streams in.
            start = _NEXT_FRAME.search(buffer, 1)
            if start is not None:
                self._skip(start.start())
                return True
            if len(buffer) >= MAX_HEADER_LINE:
                self._skip(len(buffer) - 32)  # the tail may hold half a header name
            return False
        line = bytes(buffer[: end + 1])
        if not line.strip():
            del buffer[: end + 1]
            if self._headers:
                self._end_of_headers(end + 1)
            # else: a stray blank line between frames, nothing lost.
            return True
        # A Content-Length header further along the line starts a frame there: what comes
        # before it is the tail of something else, even when it looks like a header name.
        start = _NEXT_FRAME.search(line, 1)
        match = _HEADER.fullmatch(line) if start is None else None
        if match is None:
            self._skip(start.start() if start is not None else len(line))
            return True
        if not self._headers:
            self._report_junk(out)  # a frame starts: what came before it is reported
        del buffer[: end + 1]
        self._header_bytes += len(line)
        name, value = match.group(1).lower(), match.group(2)
        if self._headers.get(name, value) != value:
            value = b"two different values"
        self._headers[name] = value
        return True

    def _end_of_headers(self, blank_line: int) -> None:
        headers, self._headers = self._headers, {}
        size, self._header_bytes = self._header_bytes + blank_line, 0
        value = headers.get(b"content-length")
        if value is None:
            reason = "a frame without a Content-Length header"
        elif not (value.isdigit() and value.isascii()) or len(value) > 12:
            reason = f"Content-Length {value[:40].decode('utf-8', 'replace')!r} is not a byte count"
        elif int(value) > self._max_body:
            reason = f"Content-Length {int(value):,} is over the limit of {self._max_body:,} bytes"
        else:
            self._length = int(value)
            self._searched = 0
            self._body_header_bytes = size
            return
        # The body after these headers has no usable length: it is junk up to the next
        # header, reported with them.
        self._junk += size
        self._junk_reason = self._junk_reason or reason

    # -- bodies -----------------------------------------------------------------------

    def _body(self, out: list[Frame | Discarded]) -> bool:
        """Consume the body being read; False when more bytes are needed."""
        assert self._length is not None
        buffer = self._buffer
        window = min(len(buffer), self._length)
        cut = _HEADER_IN_BODY.search(buffer, max(0, self._searched - 64), window)
        if cut is not None:
            out.append(Discarded(self._body_header_bytes + cut.start(), "a frame cut short by "
                                 f"the next header (its Content-Length {self._length:,} was "
                                 "too long)"))  # fmt: skip
            del buffer[: cut.start()]
            self._length = None
            return True
        self._searched = window
        if len(buffer) < self._length:
            return False
        out.append(Frame(bytes(buffer[: self._length])))
        del buffer[: self._length]
        self._length = None
        return True

    # -- junk -----------------------------------------------------------------------

    def _skip(self, size: int) -> None:
        """Throw away `size` bytes of junk, and the headers of a frame it broke into."""
        del self._buffer[:size]
        self._junk += size + self._header_bytes
        if self._headers:
            self._junk_reason = self._junk_reason or "a frame's headers broken off by junk"
        self._headers, self._header_bytes = {}, 0
        self._junk_reason = self._junk_reason or "bytes that are not a header"

    def _report_junk(self, out: list[Frame | Discarded]) -> None:
        if self._junk:
            out.append(Discarded(self._junk, self._junk_reason))
            self._junk, self._junk_reason = 0, ""


async def read_frames(
    read: Callable[[], Awaitable[bytes]], receive: Callable[[bytes], None]
) -> None:
    """Read until end of input (`read` returns b""; `exit` ends the process sooner),
    handing each body to `receive`; what is discarded goes to the log, one line per run
    of bad input."""
    parser = FrameParser()
    while True:
        data = await read()
        if not data:
            break
        for event in parser.feed(data):
            if isinstance(event, Frame):
                receive(event.body)
            else:
                log.warning("discarded %d bytes of input (%s); reading on from the next "
                            "Content-Length header", event.size, event.reason)  # fmt: skip
