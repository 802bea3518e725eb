"""A workspace's subtype map kept from one shape of the model to the next.

A resolver that links a virtual call to its overrides needs every type's direct
subtypes, derived from every type's resolved supertypes. Building that map resolves
the supertypes of every type of the workspace (230 ms of CPU on Django, four times
that on 4x Django), and a change of the model's shape (an import added, a class added,
a base changed: `WorkspaceModel.shape`) used to build it again.

`KeptSubtypes` resolves each type's supertypes with a resolver of its own that reads
the model through a `RecordingModel` (fresh caches, every read noted: `Reads`), and
indexes by key what each type read. When the shape changes, the keys that the logged
changes since altered (`ModelChanges`; a file whose types, bases or imports changed
counts as a changed file scope) name the types whose supertypes may differ: only
those, and the types that came or went, are resolved again. An import added to a file
costs what the types that read that file hold, not every type of the workspace. A
change the log lacks leaves the caller to build the map whole.

Each type's direct subtypes are kept in the order of their ids (file path, then
qualified name), in a map built whole as in one kept up to date: a virtual call's
overrides are picked nearest first up to a cap, and with the model's order instead, a
subclass saved again went to the end of its level and out of the cap, where a fresh
index of the same files kept it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import cast

from kenning.resolve.model import SymInfo, WorkspaceModel
from kenning.resolve.reuse import ModelChanges, Reads, Recorder, RecordingModel

# Resolves one type's workspace supertypes through the view it was made for (each call
# from scratch, so that everything it depends on is read, and noted, in that call).
SupertypesOf = Callable[[str], list[str]]
# Makes such a function over a recording view of the model and its recorder.
MakeSupertypes = Callable[[RecordingModel, Recorder], SupertypesOf]

_SYMBOLS = 0  # `Reads.keys` index of the model's definitions


class KeptSubtypes:
    """Type id -> its direct subtypes in the workspace, with what each type's
    supertypes read (see the module doc)."""

    def __init__(
        self, generation: int, make: MakeSupertypes, is_type: Callable[[SymInfo], bool]
    ) -> None:
        self.generation = generation
        self.children: dict[str, list[str]] = {}
        self.supertypes: dict[str, list[str]] = {}
        # Type -> the keys its supertypes read, flat: map index, key, map index, key...
        # (a few per type; a tuple of sets per type took 2.5 KB each, 98 MB on 4x Django).
        self.reads: dict[str, tuple[Hashable, ...]] = {}
        # For each model map, key -> the types whose supertypes read it.
        self.readers: tuple[dict[Hashable, set[str]], ...] = tuple({} for _ in Reads().keys)
        # Types whose supertypes depended on more than keys say: resolved again each time.
        self.always: set[str] = set()
        self._make = make
        self._is_type = is_type

    @classmethod
    def build(
        cls, model: WorkspaceModel, make: MakeSupertypes, is_type: Callable[[SymInfo], bool]
    ) -> KeptSubtypes:
        kept = cls(model.generation, make, is_type)
        kept._resolve(model, [sid for sid, info in model.symbols.items() if is_type(info)])
        return kept

    @classmethod
    def current(
        cls,
        kept: KeptSubtypes | None,
        model: WorkspaceModel,
        change_log: ModelChanges,
        make: MakeSupertypes,
        is_type: Callable[[SymInfo], bool],
    ) -> KeptSubtypes:
        """`kept` brought up to date with `model` from the changes `change_log` holds
        since it was last; a map built whole where there is none yet, or the log lacks a
        change since."""
        changed = change_log.since(model, kept.generation) if kept is not None else None
        if kept is None or changed is None or changed.everything:
            return cls.build(model, make, is_type)
        kept.update(model, changed)
        return kept

    def update(self, model: WorkspaceModel, changed: Reads) -> None:
        """Bring the map to `model` as it is now, `changed` being every key altered
        since `generation` (`ModelChanges.since`; not `everything`)."""
        stale = set(self.always)
        for readers, keys in zip(self.readers, changed.keys, strict=True):
            for key in keys:
                stale.update(readers.get(key, ()))
        # Definitions that changed, came or went: a type among them is resolved anew.
        for key in changed.keys[_SYMBOLS]:
            sid = str(key)
            info = model.symbols.get(sid)
            if sid in self.supertypes or (info is not None and self._is_type(info)):
                stale.add(sid)
        for sid in stale:
            self._forget(sid)
        live = [
            sid
            for sid in stale
            if (info := model.symbols.get(sid)) is not None and self._is_type(info)
        ]
        self._resolve(model, live)
        self.generation = model.generation

    def _resolve(self, model: WorkspaceModel, types: list[str]) -> None:
        recorder = Recorder()
        supertypes_of = self._make(RecordingModel(model, recorder), recorder)
        touched: set[str] = set()
        for sid in types:
            recorder.start_call()
            supertypes = supertypes_of(sid)
            reads = recorder.finish_call()
            self.supertypes[sid] = supertypes
            flat: list[Hashable] = []
            for index, keys in enumerate(reads.keys):
                readers = self.readers[index]
                for key in keys:
                    if index == _SYMBOLS and key == sid:
                        continue  # its own definition changed: `update` sees that anyway
                    flat += (index, key)
                    readers.setdefault(key, set()).add(sid)
            self.reads[sid] = tuple(flat)
            if reads.everything:
                self.always.add(sid)
            for base in supertypes:
                self.children.setdefault(base, []).append(sid)
                touched.add(base)
        for base in touched:
            self.children[base].sort()  # by id: see the module doc

    def _forget(self, sid: str) -> None:
        for base in self.supertypes.pop(sid, ()):
            subs = self.children.get(base)
            if subs is not None:
                if sid in subs:
                    subs.remove(sid)
                if not subs:
                    del self.children[base]
        flat = self.reads.pop(sid, ())
        for i in range(0, len(flat), 2):
            readers = self.readers[cast(int, flat[i])]
            found = readers.get(flat[i + 1])
            if found is not None:
                found.discard(sid)
                if not found:
                    del readers[flat[i + 1]]
        self.always.discard(sid)


def plain_subtypes(
    model: WorkspaceModel,
    is_type: Callable[[SymInfo], bool],
    supertypes_of: Callable[[str], Sequence[str]],
) -> dict[str, list[str]]:
    """Type id -> its direct subtypes, built whole without noting what it read: where
    no log of changes is kept to bring it up to date from (a full index's resolvers)."""
    children: dict[str, list[str]] = {}
    for sid, info in list(model.symbols.items()):
        if is_type(info):
            for base in supertypes_of(sid):
                children.setdefault(base, []).append(sid)
    for subs in children.values():
        subs.sort()  # by id, as `KeptSubtypes` keeps them
    return children


def current_subtypes(
    kept: KeptSubtypes | None,
    model: WorkspaceModel,
    change_log: ModelChanges | None,
    make: MakeSupertypes,
    is_type: Callable[[SymInfo], bool],
    supertypes_of: Callable[[str], Sequence[str]],
) -> tuple[KeptSubtypes | None, dict[str, list[str]]]:
    """The subtype map of `model` as it is now, and what keeps it: `kept` brought up to
    date from `change_log` (`KeptSubtypes.current`), or where no log is kept (a full
    index's resolvers, which the model outlives by none of its changes) the plain map,
    cheaper to build (`plain_subtypes`, with `supertypes_of` the resolver's own)."""
    if change_log is None:
        return kept, plain_subtypes(model, is_type, supertypes_of)
    kept = KeptSubtypes.current(kept, model, change_log, make, is_type)
    return kept, kept.children


class SubtypeQueries:
    """What the indexer asks of a resolver that keeps a subtype map (`_subtypes()`)."""

    def _subtypes(self) -> dict[str, list[str]]:
        raise NotImplementedError

    def warm(self) -> None:
        """Build the workspace-wide cache (the subtype map) now, before the first edit
        needs it (the first save of a class in the JDK's sources waited 500 ms for it)."""
        self._subtypes()

    def direct_subtypes(self, type_id: str) -> list[str]:
        """The workspace types extending or implementing `type_id` directly, as the
        model says now (its recent files included): from the map kept per shape."""
        return list(self._subtypes().get(type_id, ()))

    def _supertypes_of(self, type_id: str) -> list[str]:
        raise NotImplementedError

    def direct_supertypes(self, type_id: str) -> list[str]:
        """The workspace types `type_id` extends or implements directly, as the model
        says now: its bases as resolved (kept per generation)."""
        return list(self._supertypes_of(type_id))
