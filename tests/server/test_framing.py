"""The frame reader on its own: what comes out of a stream of bytes, good and bad,
whether it arrives whole or a byte at a time."""

from __future__ import annotations

import json

import pytest

from kenning.server.framing import Discarded, Frame, FrameParser


def frame(body: bytes | dict[str, object], length: object = None) -> bytes:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return (
        b"Content-Length: %s\r\n\r\n" % str(len(data) if length is None else length).encode() + data
    )


ONE = frame({"id": 1})
TWO = frame({"id": 2})


def events(data: bytes, pieces: int = 0) -> list[object]:
    """What the parser makes of `data`, fed whole (pieces=0) or `pieces` bytes at a
    time; runs of discarded bytes merged, as the log reports them once per run."""
    parser = FrameParser()
    out: list[Frame | Discarded] = []
    step = pieces or len(data)
    for start in range(0, len(data), step):
        out += parser.feed(data[start : start + step])
    merged: list[object] = []
    for event in out:
        if isinstance(event, Discarded):
            if merged and isinstance(merged[-1], tuple):
                merged[-1] = ("discarded", merged[-1][1] + event.size, merged[-1][2])
            else:
                merged.append(("discarded", event.size, event.reason))
        else:
            try:
                merged.append(json.loads(event.body))
            except ValueError:
                merged.append(event.body)  # cut short: the server answers a parse error
    return merged


CASES = {
    "two good frames": (ONE + TWO, [{"id": 1}, {"id": 2}]),
    "headers in any case, Content-Type too, LF line ends": (
        b"content-type: application/vscode-jsonrpc; charset=utf-8\r\n"
        b"CONTENT-LENGTH: 9\r\n\r\n" + b'{"id": 3}' + b"Content-Length: 9\n\n" + b'{"id": 4}',
        [{"id": 3}, {"id": 4}],
    ),
    "a length that is not a number": (
        frame({"id": 9}, "abc") + ONE,
        [("discarded", 32, "Content-Length 'abc' is not a byte count"), {"id": 1}],
    ),
    "a negative length": (
        frame({"id": 9}, -9) + ONE,
        [("discarded", 31, "Content-Length '-9' is not a byte count"), {"id": 1}],
    ),
    "no length at all": (
        b'Content-Type: x\r\n\r\n{"id": 9}' + ONE,
        [("discarded", 28, "a frame without a Content-Length header"), {"id": 1}],
    ),
    "a length over the limit": (
        frame({"id": 9}, 1 << 30) + ONE,
        [
            (
                "discarded",
                39,
                "Content-Length 1,073,741,824 is over the limit of 268,435,456 bytes",
            ),
            {"id": 1},
        ],
    ),
    # Too short: the body is cut (the server answers it with a parse error) and the
    # rest of it is junk up to the next header.
    "a length too short": (
        frame({"id": 9}, 5) + ONE,
        [b'{"id"', ("discarded", 4, "bytes that are not a header"), {"id": 1}],
    ),
    # Too long: the next frame's header shows through the body, which ends there.
    "a length too long": (
        frame({"id": 9}, 500) + ONE + TWO,
        [
            (
                "discarded",
                32,
                "a frame cut short by the next header (its Content-Length 500 was too long)",
            ),
            {"id": 1},
            {"id": 2},
        ],
    ),
    "junk between frames": (
        ONE + b"hello\r\nthere" + TWO,
        [{"id": 1}, ("discarded", 12, "bytes that are not a header"), {"id": 2}],
    ),
    "a bad frame whose body spans lines": (
        b'Content-Length: x\r\n\r\n{\n  "id": 9\n}\n' + ONE,
        [("discarded", 35, "Content-Length 'x' is not a byte count"), {"id": 1}],
    ),
    # Header text inside a JSON string is escaped, so it is not mistaken for a header.
    "header text inside a body": (
        frame({"text": "Content-Length: 5\r\n\r\nabc"}) + ONE,
        [{"text": "Content-Length: 5\r\n\r\nabc"}, {"id": 1}],
    ),
    "stray blank lines between frames are nothing": (ONE + b"\r\n" + TWO, [{"id": 1}, {"id": 2}]),
}


@pytest.mark.parametrize("pieces", [0, 1, 7], ids=["whole", "bytewise", "by-7"])
@pytest.mark.parametrize(("data", "expected"), CASES.values(), ids=CASES.keys())
def test_frames_and_discards(data: bytes, expected: list[object], pieces: int) -> None:
    assert events(data, pieces) == expected


def test_a_long_bad_body_does_not_pile_up() -> None:
    parser = FrameParser()
    parser.feed(frame(b"x" * 10, "zz")[:-10])
    for _ in range(100):
        parser.feed(b"x" * 100_000)
        assert len(parser._buffer) < 5000
    assert [e for e in parser.feed(ONE) if isinstance(e, Frame)] == [Frame(b'{"id": 1}')]
