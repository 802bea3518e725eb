"""Reusing a call site's resolution from one save of an open file to the next, where
it is provably the one resolving it again would give.

A call's target depends on names anywhere in the workspace (a new function can change
how any call of that name resolves), so exact reuse must know what each call looked
up. While an open file's calls are resolved, the resolver reads the workspace model
through `RecordingModel`, which notes every key each call read (`Reads`: symbol ids,
qualified and simple names, modules, file scopes), including the reads behind the
resolver's per-generation caches (a cached computation is a frame of its own, whose
reads are kept with the entry and added to every call that hits it: `Recorder`).

Every change of a file in the model between two saves of the open file is logged
with the keys it changed (`ModelChanges`: the ids whose info changed, came or went,
the qualified and simple names whose lists of ids changed, compared before and after,
and the module names whose owner changed). At the file's next save the model differs
from the one its calls' reads saw only in those keys, provided that every change
since is in the log (the generations follow on), that the shape (files, types, bases,
imports: `WorkspaceModel.shape`) is the same, so the resolver keeps its shape caches
(bases, subclasses) as they are and every file scope reads as it did but for its
definitions, whose changes are logged keys, and that the resolver is the same object.
Nothing a resolver keeps beyond a generation reads a function or a method, so a
method added to a class leaves the file's other calls reusable. A call site whose
fields are equal but for its span, and none of whose reads is a changed key,
resolves as it did: the resolver is a deterministic function of a call's fields and
of what it reads, and never reads a call's span. Every other call is resolved again,
recording. A call whose resolution read a whole map (an iteration), hit a cache entry
still being computed (a cycle guard) or one filled before recording started is never
reused.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Iterator
from typing import Any, Protocol

from kenning.core.facts import CallSite, FileFacts
from kenning.core.graph import Target
from kenning.resolve.model import SymInfo, WorkspaceModel

# The maps of `WorkspaceModel` a resolver reads, in the order `Reads.keys` holds them.
_MAPS = ("symbols", "by_qualname", "by_name", "modules", "files")
_SYMBOLS, _QUALNAMES, _NAMES, _MODULES, _FILES = 0, 1, 2, 3, 4


class Reads:
    """The keys of each model map that one computation read (or, of a save, that
    changed); `everything` when it depended on more than keys can say."""

    __slots__ = ("everything", "keys")

    def __init__(self) -> None:
        self.keys: tuple[set[Hashable], ...] = tuple(set() for _ in _MAPS)
        self.everything = False

    def merge(self, other: Reads) -> None:
        for mine, theirs in zip(self.keys, other.keys, strict=True):
            mine |= theirs
        self.everything = self.everything or other.everything

    def touches(self, changed: Reads) -> bool:
        if self.everything or changed.everything:
            return True
        return any(not a.isdisjoint(b) for a, b in zip(self.keys, changed.keys, strict=True))


class Recorder:
    """The reads of the call being resolved, a frame per cached computation in it."""

    def __init__(self) -> None:
        self.stack: list[Reads] = [Reads()]
        # Cache key -> the reads that computed the entry (this recorder's generation).
        self.kept: dict[Hashable, Reads] = {}
        self.computing: set[Hashable] = set()
        # The maps that note reads: each writes straight into the top frame's set.
        self.maps: list[_ReadMap] = []

    def _retarget(self) -> None:
        keys = self.stack[-1].keys
        for read_map in self.maps:
            read_map.sink = keys[read_map.index]

    def start_call(self) -> None:
        self.stack = [Reads()]
        self._retarget()

    def finish_call(self) -> Reads:
        return self.stack[0]

    def begin(self, key: Hashable) -> None:
        """A cached computation starts: its reads are kept with its entry."""
        self.computing.add(key)
        self.stack.append(Reads())
        self._retarget()

    def end(self, key: Hashable) -> None:
        reads = self.stack.pop()
        self.computing.discard(key)
        self.kept[key] = reads
        self.stack[-1].merge(reads)
        self._retarget()

    def cached(self, key: Hashable) -> None:
        """A cache entry was read: what computed it counts as read here too."""
        reads = self.kept.get(key)
        if reads is None or key in self.computing:
            # Filled before recording started, or a cycle guard's placeholder (its
            # value depends on the order calls were resolved in): never reuse.
            self.taint()
        else:
            self.stack[-1].merge(reads)

    def taint(self) -> None:
        for reads in self.stack:
            reads.everything = True


class _ReadMap:
    """One model map, read through: each key read is noted in the recorder's frame."""

    __slots__ = ("_data", "_recorder", "index", "sink")

    def __init__(self, data: dict[Any, Any], index: int, recorder: Recorder) -> None:
        self._data = data
        self.index = index
        self._recorder = recorder
        # The top frame's keys of this map (set by the recorder as frames change).
        self.sink: set[Hashable] = recorder.stack[-1].keys[index]
        recorder.maps.append(self)

    def get(self, key: Hashable, default: Any = None) -> Any:
        self.sink.add(key)
        return self._data.get(key, default)

    def __getitem__(self, key: Hashable) -> Any:
        self.sink.add(key)
        return self._data[key]

    def __contains__(self, key: Hashable) -> bool:
        self.sink.add(key)
        return key in self._data

    # Reading the whole map depends on every key.
    def items(self) -> Any:
        self._recorder.taint()
        return self._data.items()

    def values(self) -> Any:
        self._recorder.taint()
        return self._data.values()

    def keys(self) -> Any:
        self._recorder.taint()
        return self._data.keys()

    def __iter__(self) -> Iterator[Any]:
        self._recorder.taint()
        return iter(self._data)

    def __len__(self) -> int:
        self._recorder.taint()
        return len(self._data)


class RecordingModel:
    """A `WorkspaceModel` as a resolver sees it while recording: the same maps, read
    through `_ReadMap`s."""

    def __init__(self, model: WorkspaceModel, recorder: Recorder) -> None:
        self._model = model
        self.symbols = _ReadMap(model.symbols, 0, recorder)
        self.by_qualname = _ReadMap(model.by_qualname, 1, recorder)
        self.by_name = _ReadMap(model.by_name, 2, recorder)
        self.modules = _ReadMap(model.modules, 3, recorder)
        self.files = _ReadMap(model.files, 4, recorder)
        self._recorder = recorder

    @property
    def generation(self) -> int:
        return self._model.generation

    @property
    def shape(self) -> int:
        return self._model.shape

    @property
    def unrecorded(self) -> WorkspaceModel:
        """The model itself, read without noting anything."""
        return self._model

    def __getattr__(self, name: str) -> Any:
        # Anything else of the model: depend on everything rather than guess.
        self._recorder.taint()
        return getattr(self._model, name)


class RecordingResolver(Protocol):
    """A language resolver that can record what each call reads (`PythonResolver`)."""

    model: Any
    recorder: Recorder | None

    def resolve_call(self, path: str, call: CallSite) -> Target: ...

    def forget_generation(self) -> None:
        """Drop the per-generation caches (filled again, recorded, as calls need them)."""
        ...


def call_key(call: CallSite) -> tuple[object, ...]:
    """Everything of a call site that resolution reads: all but its span."""
    return (
        call.caller,
        call.callee,
        call.name,
        call.receiver,
        call.receiver_type,
        call.arguments,
        call.implicit,
    )


def file_symbols(model: WorkspaceModel, path: str) -> list[SymInfo]:
    scope = model.files.get(path)
    if scope is None:
        return []
    return [model.symbols[sid] for sid in scope.symbol_ids if sid in model.symbols]


class Snapshot:
    """What of the model one file's change may alter, read just before the change."""

    def __init__(self, model: WorkspaceModel, path: str, facts: FileFacts | None) -> None:
        self.model = model
        self.generation = model.generation
        self.shape = model.shape
        self.symbols = {s.id: s for s in file_symbols(model, path)}
        scope = model.files.get(path)
        # Every name the file defines before or after the change, and its module names.
        qualnames = {s.qualname for s in self.symbols.values()}
        names = {s.name for s in self.symbols.values()}
        modules = {scope.module} if scope is not None else set()
        if facts is not None:
            qualnames.update(s.qualname for s in facts.symbols)
            names.update(s.name for s in facts.symbols)
            modules.add(facts.module)
        self.path = path
        self.qualnames = {q: tuple(model.by_qualname.get(q, ())) for q in qualnames}
        self.names = {n: tuple(model.by_name.get(n, ())) for n in names}
        self.modules = {m: model.modules.get(m) for m in modules}

    def changed(self) -> Reads:
        """The keys whose values the change altered (called just after it)."""
        model = self.model
        changed = Reads()
        after = {s.id: s for s in file_symbols(model, self.path)}
        ids = self.symbols.keys() | after.keys()
        changed.keys[_SYMBOLS].update(sid for sid in ids if self.symbols.get(sid) != after.get(sid))
        changed.keys[_QUALNAMES].update(
            q for q, ids in self.qualnames.items() if tuple(model.by_qualname.get(q, ())) != ids
        )
        changed.keys[_NAMES].update(
            n for n, ids in self.names.items() if tuple(model.by_name.get(n, ())) != ids
        )
        changed.keys[_MODULES].update(
            m for m, owner in self.modules.items() if model.modules.get(m) != owner
        )
        if model.shape != self.shape:
            # Its types, bases or imports changed: whatever read its scope may differ.
            # (Only then: a call reused across saves never spans a change of the shape.)
            changed.keys[_FILES].add(self.path)
        return changed


# Changes kept in the log, at most: a batch that changes more files (a branch switch)
# leaves nothing to reuse, and the log stays small.
MAX_LOGGED_CHANGES = 64


class ModelChanges:
    """The keys each logged change of a model altered, by the generations it spans."""

    def __init__(self) -> None:
        # A model is held weakly: one that a full index replaced is freed, not kept
        # alive by the log.
        self._entries: list[tuple[weakref.ref[WorkspaceModel], int, int, Reads]] = []

    def record(self, snapshot: Snapshot) -> None:
        model = snapshot.model
        changed = snapshot.changed()
        self._entries.append((weakref.ref(model), snapshot.generation, model.generation, changed))
        del self._entries[:-MAX_LOGGED_CHANGES]

    def since(self, model: WorkspaceModel, generation: int) -> Reads | None:
        """Every key changed in `model` from `generation` to now; None when a change
        in between was not logged."""
        changed = Reads()
        at = generation
        for logged, before, after, keys in self._entries:
            if logged() is not model or after <= generation:
                continue
            if before != at:
                return None
            changed.merge(keys)
            at = after
        return changed if at == model.generation else None


class CallResolutions:
    """An open file's call sites, each with its target and what resolving it read, as
    of the file's last save: what its next save may reuse (see the module doc)."""

    def __init__(
        self,
        resolver: RecordingResolver,
        model: WorkspaceModel,
        generation: int,
        shape: int,
        entries: dict[tuple[object, ...], tuple[Target, Reads]],
    ) -> None:
        self.resolver = resolver
        self.model = model
        self.generation = generation
        self.shape = shape
        self.entries = entries


def resolve_calls(
    resolver: RecordingResolver,
    model: WorkspaceModel,
    facts: FileFacts,
    kept: CallResolutions | None,
    changes: ModelChanges,
) -> tuple[list[Target], CallResolutions, int]:
    """Resolve `facts.calls` of a file just replaced in `model`, reusing from `kept`
    (its last save's resolutions) what provably holds, given the `changes` logged
    since. Returns the targets, what the next save may reuse, and how many targets
    were reused."""
    path = facts.path
    reusable: dict[tuple[object, ...], tuple[Target, Reads]] = {}
    changed: Reads | None = None
    if (
        kept is not None
        and kept.resolver is resolver
        and kept.model is model
        and kept.shape == model.shape
    ):
        changed = changes.since(model, kept.generation)
        if changed is not None:
            reusable = kept.entries
    recorder = Recorder()
    entries: dict[tuple[object, ...], tuple[Target, Reads]] = {}
    targets: list[Target] = []
    reused = 0
    # The resolver reads the model through the recording view for this file's calls
    # only. Resolvers are the writer thread's alone (`Indexer`), so no other thread
    # sees the swap. Its per-generation caches start empty, so that every entry a call
    # hits was filled, and its reads kept, while recording.
    real = resolver.model
    resolver.forget_generation()
    resolver.model = RecordingModel(model, recorder)
    resolver.recorder = recorder
    try:
        for call in facts.calls:
            key = call_key(call)
            entry = entries.get(key)
            if entry is None:
                entry = reusable.get(key)
                if entry is not None:
                    assert changed is not None
                    if entry[1].touches(changed):
                        entry = None
                    else:
                        reused += 1
            if entry is None or entry[1].everything:
                recorder.start_call()
                target = resolver.resolve_call(path, call)
                entry = (target, recorder.finish_call())
            entries[key] = entry
            targets.append(entry[0])
    finally:
        resolver.model = real
        resolver.recorder = None
    return targets, CallResolutions(resolver, model, model.generation, model.shape, entries), reused
