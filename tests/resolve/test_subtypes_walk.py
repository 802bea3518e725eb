"""A walk down a type hierarchy that goes only toward some types (`subtypes_toward`,
then `subtypes_nearest_first(..., within=...)`) meets them in the order a walk of every
subtype does: the overrides a virtual call links, and which of them a cap keeps, must
not depend on whether the walk was pruned."""

from __future__ import annotations

import random

from kenning.resolve.model import subtypes_nearest_first, subtypes_toward


def hierarchy(rng: random.Random, size: int) -> dict[str, list[str]]:
    """Type -> its direct supertypes: a random DAG (several supertypes each, as Java's
    interfaces and Python's mixins give), supertypes always earlier types."""
    supertypes: dict[str, list[str]] = {"t0": []}
    for i in range(1, size):
        count = rng.choice((1, 1, 1, 2, 3))
        bases = rng.sample(range(i), min(count, i))
        supertypes[f"t{i}"] = [f"t{b}" for b in bases]
    return supertypes


def test_the_pruned_walk_meets_the_targets_in_the_full_walks_order() -> None:
    for seed in range(300):
        rng = random.Random(seed)
        supertypes = hierarchy(rng, rng.randint(2, 60))
        subtypes: dict[str, list[str]] = {}
        for sub, bases in supertypes.items():
            for base in bases:
                subtypes.setdefault(base, []).append(sub)
        names = list(supertypes)
        cls = rng.choice(names)
        targets = set(rng.sample(names, rng.randint(0, min(6, len(names)))))
        within = subtypes_toward(supertypes, cls, targets)
        full = list(subtypes_nearest_first(subtypes, cls))
        pruned = list(subtypes_nearest_first(subtypes, cls, within))
        assert [t for t in pruned if t in targets] == [t for t in full if t in targets], seed
        assert set(pruned) <= set(full) and cls not in within, seed
        assert within == {t for t in full if t in within}, seed
