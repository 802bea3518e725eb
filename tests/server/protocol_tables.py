"""Render `kenning.server.protocol`'s structs as the field tables `docs/protocol.md`
holds, so a test can tell when the two drift."""

from __future__ import annotations

import msgspec
from msgspec import inspect as mi

from kenning.server import protocol


def type_name(t: mi.Type) -> str:
    simple = {mi.IntType: "integer", mi.FloatType: "number", mi.StrType: "string",
              mi.BoolType: "boolean", mi.NoneType: "null"}  # fmt: skip
    for kind, name in simple.items():
        if isinstance(t, kind):
            return name
    if isinstance(t, mi.ListType):
        return type_name(t.item_type) + "[]"
    if isinstance(t, mi.StructType):
        return t.cls.__name__
    if isinstance(t, mi.LiteralType):
        return " \\| ".join(f'"{v}"' for v in sorted(map(str, t.values)))
    if isinstance(t, mi.UnionType):
        return " \\| ".join(type_name(x) for x in t.types)
    raise TypeError(f"no doc name for {t!r}")


def _nested(t: mi.Type) -> list[type]:
    if isinstance(t, mi.StructType):
        return [t.cls]
    if isinstance(t, mi.ListType):
        return _nested(t.item_type)
    if isinstance(t, mi.UnionType):
        return [c for x in t.types for c in _nested(x)]
    return []


def structs() -> list[type[msgspec.Struct]]:
    """Every struct on the wire, in the order the methods first use them."""
    seen: list[type[msgspec.Struct]] = []

    def walk(cls: type[msgspec.Struct]) -> None:
        if cls in seen:
            return
        seen.append(cls)
        for field in mi.type_info(cls).fields:  # type: ignore[attr-defined]
            for nested in _nested(field.type):
                walk(nested)

    for method in protocol.REQUESTS:
        walk(method.params)
        walk(method.result)
    walk(protocol.CommandResult)
    for method in protocol.PEER_REQUESTS:
        walk(method.params)
        walk(method.result)
    return seen


def rows(cls: type[msgspec.Struct]) -> list[tuple[str, str, str]]:
    """(field, type, required) for each wire field of `cls`."""
    info = mi.type_info(cls)
    return [
        (f"`{f.encode_name}`", type_name(f.type), "yes" if f.required else "no")
        for f in info.fields  # type: ignore[attr-defined]
    ]
