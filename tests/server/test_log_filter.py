"""The daemon's log under a flood of one warning: a few lines a minute, and a count of
what was held back."""

from __future__ import annotations

import logging
import time

from kenning.server import RepeatFilter


def record(message: str, level: int = logging.WARNING, *args: object) -> logging.LogRecord:
    return logging.LogRecord("kenning.test", level, __file__, 1, message, args, None)


def test_a_repeated_warning_is_held_back_and_counted() -> None:
    logs = RepeatFilter(burst=3, window=0.2)
    passed = [logs.filter(record("closed a connection from %s", logging.WARNING, n))
              for n in range(10)]  # fmt: skip
    assert passed == [True] * 3 + [False] * 7
    # Another kind of warning has its own allowance; information always passes.
    assert logs.filter(record("something else"))
    assert all(logs.filter(record("applied a change", logging.INFO)) for _ in range(10))
    time.sleep(0.25)
    after = record("closed a connection from %s", logging.WARNING, 11)
    assert logs.filter(after)
    assert after.getMessage() == (
        "closed a connection from 11 [and 7 more like this in the last 0.2 s, not logged]"
    )
