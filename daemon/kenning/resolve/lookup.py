"""The order in which a type's members are looked up through its supertypes.

A member not defined on a type is found on the first of its supertypes that defines
it, and which is first is each language's rule:

* Python takes the class's method resolution order, the C3 linearization of its bases
  (`c3_order`): a class comes before its bases and the bases keep the order they are
  listed in. A breadth-first walk gets diamonds wrong: Django's `YearExact(YearLookup,
  Exact)` reaches `Lookup` through `YearLookup` one level before `BuiltinLookup`
  through `Exact`, while Python finds `BuiltinLookup.process_lhs` first, as
  `BuiltinLookup` subclasses `Lookup`.
* Java and TypeScript take the chain of superclasses first, then the interfaces, each
  interface before the ones it extends (`classes_first_order`): a method a superclass
  inherits or defines wins over an interface's declaration or default method, and a
  sub-interface's default over its super-interface's. Breadth first,
  `DatagramChannel.close()` found the declaration in `MulticastChannel`, an interface
  it implements, instead of `AbstractInterruptibleChannel.close`, two superclasses up.

Both orders begin with the type itself and name each supertype once. Where a language's
rule gives no order (inconsistent bases, a cycle of them) the types are taken breadth
first (`breadth_first_order`), as before these orders were kept.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from kenning.core.facts import SymbolKind
from kenning.resolve.model import SymInfo

# Bases of a type, resolved to workspace type ids.
BasesOf = Callable[[str], Sequence[str]]

# The most types one order names: far more than any real hierarchy has, a bound on
# what broken code (a generated hierarchy, a cycle the bases do not show) can cost.
MAX_ORDER = 256


def breadth_first_order(cls: str, bases_of: BasesOf, limit: int = MAX_ORDER) -> tuple[str, ...]:
    """`cls`, then its supertypes breadth first, bases in the order they are listed."""
    order = [cls]
    seen = {cls}
    for current in order:
        for base in bases_of(current):
            if base not in seen and len(order) < limit:
                seen.add(base)
                order.append(base)
    return tuple(order)


def c3_order(
    cls: str, bases_of: BasesOf, memo: dict[str, tuple[str, ...] | None]
) -> tuple[str, ...] | None:
    """Python's method resolution order of `cls` over the bases `bases_of` gives, or
    None where there is none: bases in an order C3 cannot merge (Python refuses such a
    class), a cycle, or more than `MAX_ORDER` classes. `memo` keeps each class's order
    (None while it is being computed, so that a cycle ends), to share between calls
    while the bases stay as they are."""
    if cls in memo:
        return memo[cls]
    memo[cls] = None
    bases = list(bases_of(cls))
    sequences: list[list[str]] = []
    for base in bases:
        order = c3_order(base, bases_of, memo)
        if order is None:
            return None
        sequences.append(list(order))
    sequences.append(bases)
    merged = [cls]
    # Each sequence is read from its head (`heads[i]`) on, instead of popped.
    heads = [0] * len(sequences)
    while True:
        candidate = None
        for i, sequence in enumerate(sequences):
            if heads[i] == len(sequence):
                continue
            head = sequence[heads[i]]
            # A good head is in no sequence's tail.
            if not any(head in other[heads[j] + 1 :] for j, other in enumerate(sequences)):
                candidate = head
                break
        if candidate is None:
            if any(heads[i] < len(s) for i, s in enumerate(sequences)):
                return None  # no consistent order
            break
        merged.append(candidate)
        if len(merged) > MAX_ORDER:
            return None
        for i, sequence in enumerate(sequences):
            if heads[i] < len(sequence) and sequence[heads[i]] == candidate:
                heads[i] += 1
    found = memo[cls] = tuple(merged)
    return found


def classes_first_order(
    cls: str, bases_of: BasesOf, is_interface: Callable[[str], bool]
) -> tuple[str, ...]:
    """`cls`, its superclasses nearest first (the first base that is not an interface,
    of each class in turn), then every other supertype, each before the ones it
    extends; where neither comes first, the one nearer breadth first goes first."""
    chain = [cls]
    seen = {cls}
    current = cls
    while not is_interface(current) and len(chain) < MAX_ORDER:
        parent = next((b for b in bases_of(current) if not is_interface(b)), None)
        if parent is None or parent in seen:
            break
        chain.append(parent)
        seen.add(parent)
        current = parent
    rest: list[str] = []
    queue = list(chain)
    for current in queue:
        for base in bases_of(current):
            if base not in seen and len(chain) + len(rest) < MAX_ORDER:
                seen.add(base)
                rest.append(base)
                queue.append(base)
    return (*chain, *_subtypes_first(rest, bases_of))


def _subtypes_first(types: list[str], bases_of: BasesOf) -> list[str]:
    """`types` reordered so that each comes before its supertypes among them, and
    otherwise as they were (a topological order, ties by position; a cycle among
    them is left in the order it was)."""
    position = {t: i for i, t in enumerate(types)}
    # How many of `types` name each one as a direct base and are not placed yet.
    waiting = dict.fromkeys(types, 0)
    for t in types:
        for base in bases_of(t):
            if base in waiting and base != t:
                waiting[base] += 1
    ready = [position[t] for t in types if waiting[t] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    placed: set[str] = set()
    while ready:
        t = types[heapq.heappop(ready)]
        order.append(t)
        placed.add(t)
        for base in bases_of(t):
            if base in waiting and base != t and base not in placed:
                waiting[base] -= 1
                if waiting[base] == 0:
                    heapq.heappush(ready, position[base])
    if len(order) < len(types):
        order.extend(t for t in types if t not in placed)
    return order


class LookupOrders:
    """A resolver's lookup orders, one per type, kept while the bases they derive from
    are (the resolver clears both together), and not while some type's bases are being
    resolved (`resolving_bases`): a type on the way reads as having none until they are,
    and an order read then would be kept wrong."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[str, ...] | None] = {}
        self._resolving = 0

    def clear(self) -> None:
        self._kept.clear()

    @contextmanager
    def resolving_bases(self) -> Iterator[None]:
        self._resolving += 1
        try:
            yield
        finally:
            self._resolving -= 1

    def _memo(self) -> dict[str, tuple[str, ...] | None]:
        return {} if self._resolving else self._kept

    def c3(self, cls: str, bases_of: BasesOf) -> tuple[str, ...]:
        """`c3_order`, or breadth first where it gives none."""
        memo = self._memo()
        return memo.get(cls) or c3_order(cls, bases_of, memo) or breadth_first_order(cls, bases_of)

    def classes_first(
        self, cls: str, bases_of: BasesOf, symbols: Mapping[str, SymInfo]
    ) -> tuple[str, ...]:
        """`classes_first_order`, any type not a class (an interface, an enum, a
        record) taken for an interface: none of those is a superclass."""
        memo = self._memo()
        order = memo.get(cls)
        if order is None:

            def is_interface(type_id: str) -> bool:
                info = symbols.get(type_id)
                return info is None or info.kind != SymbolKind.CLASS

            order = memo[cls] = classes_first_order(cls, bases_of, is_interface)
        return order
