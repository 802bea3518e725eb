"""Cutting long lists into pieces one statement or one filter can take.

Every store bounds how many values go into one statement: an `UNWIND` of rows, an
`IN (...)` filter, a list of SQL parameters. This is the one place they are cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def batched(values: Sequence[T], size: int) -> list[Sequence[T]]:
    """`values` in order, in pieces of at most `size`."""
    return [values[i : i + size] for i in range(0, len(values), size)]
