"""The VS Code extension's `protocol.ts` mirrors `kenning.server.protocol`: every msgspec
struct as an interface with the same wire names, types and optional fields, every
`Literal` alias as a type alias, every constant (method names, command ids, limits)
and every `Method` as a typed `RequestType`. A change to one side only fails here.

The comparison is generic: it walks whatever protocol.py defines, so a struct or a
method added there fails until protocol.ts has it too. protocol.ts is read with a small
parser for the shapes its header comment names, not with TypeScript itself, so the test
needs no Node.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from msgspec import inspect as mi

from kenning.server import protocol

PROTOCOL_TS = Path(__file__).resolve().parents[2] / "vscode-extension" / "src" / "protocol.ts"

# A TypeScript type as a set of alternatives: "string", "number", "boolean", "null",
# "'literal'", an interface name, or ("array", <alternatives of the item>).
TsType = frozenset[Any]


# -- the Python side ------------------------------------------------------------------


def ts_name(cls: type) -> str:
    """`_Target` is private in Python; TypeScript has no such convention."""
    return cls.__name__.lstrip("_")


def wire_structs() -> list[type[msgspec.Struct]]:
    """Every struct class protocol.py defines. `Method` is the method table, not a
    shape on the wire: it is mirrored by the `RequestType` constants instead."""
    return [
        obj
        for obj in vars(protocol).values()
        if isinstance(obj, type)
        and issubclass(obj, msgspec.Struct)
        and obj.__module__ == protocol.__name__
        and obj is not protocol.Method
    ]


def py_type(t: mi.Type) -> TsType:
    """The TypeScript alternatives a msgspec type maps to."""
    if isinstance(t, mi.IntType | mi.FloatType):
        return frozenset({"number"})
    if isinstance(t, mi.StrType):
        return frozenset({"string"})
    if isinstance(t, mi.BoolType):
        return frozenset({"boolean"})
    if isinstance(t, mi.NoneType):
        return frozenset({"null"})
    if isinstance(t, mi.ListType | mi.VarTupleType):
        return frozenset({("array", py_type(t.item_type))})
    if isinstance(t, mi.StructType):
        return frozenset({ts_name(t.cls)})
    if isinstance(t, mi.LiteralType):
        return frozenset(f"'{v}'" for v in t.values)
    if isinstance(t, mi.UnionType):
        return frozenset().union(*(py_type(x) for x in t.types))
    raise AssertionError(f"no TypeScript mapping for {t!r}: teach py_type() about it")


@dataclass(frozen=True)
class Field:
    types: TsType
    optional: bool


def py_fields(cls: type[msgspec.Struct]) -> dict[str, Field]:
    """Wire name -> (type, optional) for each field of a struct, inherited ones too."""
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    types = {f.name: py_type(f.type) for f in info.fields}
    return {
        f.encode_name: Field(types[f.name], optional=not f.required)
        for f in msgspec.structs.fields(cls)
    }


def py_literal_aliases() -> dict[str, TsType]:
    return {
        name: frozenset(f"'{v}'" for v in typing.get_args(obj))
        for name, obj in vars(protocol).items()
        if typing.get_origin(obj) is typing.Literal
    }


def py_constants() -> dict[str, Any]:
    """The module's constants as protocol.ts should spell them: numbers and strings
    as they are, a `Method` as ("request", params, result, name), a tuple of them
    as the names of its items."""
    names = {id(v): k for k, v in vars(protocol).items() if isinstance(v, protocol.Method)}
    strings = {v: k for k, v in vars(protocol).items() if k.isupper() and isinstance(v, str)}
    out: dict[str, Any] = {}
    for name, value in vars(protocol).items():
        if not name.isupper() or name.startswith("_"):
            continue
        if isinstance(value, bool):
            continue
        if isinstance(value, int | str):
            out[name] = value
        elif isinstance(value, protocol.Method):
            out[name] = ("request", ts_name(value.params), ts_name(value.result), value.name)
        elif isinstance(value, tuple):
            out[name] = tuple(
                names[id(v)] if isinstance(v, protocol.Method) else strings[v] for v in value
            )
    return out


# -- the TypeScript side ----------------------------------------------------------------


def strip_comments(text: str) -> str:
    """protocol.ts without its comments (quotes respected: 'kenning/search' stays)."""
    out: list[str] = []
    i, quote = 0, ""
    while i < len(text):
        c = text[i]
        if quote:
            out.append(c)
            if c == quote:
                quote = ""
            i += 1
        elif c in "'\"`":
            quote = c
            out.append(c)
            i += 1
        elif text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else len(text)
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


@dataclass
class TsModule:
    interfaces: dict[str, tuple[list[str], dict[str, tuple[str, bool]]]]
    aliases: dict[str, str]
    constants: dict[str, str]

    def resolve(self, text: str) -> TsType:
        """A type expression -> its alternatives, aliases expanded."""
        text = text.strip()
        parts = split_top_level(text, "|")
        if len(parts) > 1:
            return frozenset().union(*(self.resolve(p) for p in parts))
        if text.endswith("[]"):
            return frozenset({("array", self.resolve(text[:-2]))})
        if text.startswith("(") and text.endswith(")"):
            return self.resolve(text[1:-1])
        if text[:1] in "'\"" and text[-1:] == text[:1]:
            return frozenset({f"'{text[1:-1]}'"})
        if text in ("string", "number", "boolean", "null"):
            return frozenset({text})
        if text in self.aliases:
            return self.resolve(self.aliases[text])
        if text in self.interfaces:
            return frozenset({text})
        raise AssertionError(f"protocol.ts: unknown type {text!r}")

    def fields(self, name: str) -> dict[str, Field]:
        """An interface's fields, those of the interfaces it extends first."""
        bases, own = self.interfaces[name]
        out: dict[str, Field] = {}
        for base in bases:
            out.update(self.fields(base))
        for field, (type_text, optional) in own.items():
            out[field] = Field(self.resolve(type_text), optional)
        return out

    def constant(self, name: str) -> Any:
        """A constant as py_constants() spells it; None when it has another shape."""
        text = " ".join(self.constants[name].split())
        if m := re.fullmatch(r"(['\"])(.*)\1", text):
            return m.group(2)
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        request = r"new RequestType<\s*(\w+),\s*(\w+),\s*void,?\s*>\(\s*(['\"])(.*?)\3,?\s*\)"
        if m := re.fullmatch(request, text):
            return ("request", m.group(1), m.group(2), m.group(4))
        if m := re.fullmatch(r"\[([\w\s,]*)\]\s*as const", text):
            return tuple(x.strip() for x in m.group(1).split(",") if x.strip())
        return None


def split_top_level(text: str, sep: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += c in "(<[{"
        depth -= c in ")>]}"
        if c == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def parse_ts(text: str) -> TsModule:
    code = strip_comments(text)
    interfaces: dict[str, tuple[list[str], dict[str, tuple[str, bool]]]] = {}
    pattern = r"export interface (\w+)(?:\s+extends\s+([\w\s,]+?))?\s*\{(.*?)\}"
    for name, extends, body in re.findall(pattern, code, re.S):
        fields: dict[str, tuple[str, bool]] = {}
        for line in body.splitlines():
            if not line.strip():
                continue
            m = re.fullmatch(r"\s*(\w+)(\?)?:\s*(.+?);\s*", line)
            assert m, f"protocol.ts: interface {name}: cannot read {line!r}"
            fields[m.group(1)] = (m.group(3), bool(m.group(2)))
        bases = [b.strip() for b in extends.split(",")] if extends else []
        interfaces[name] = (bases, fields)
    aliases = dict(re.findall(r"export type (\w+)\s*=\s*(.+?);", code, re.S))
    constants = dict(re.findall(r"export const (\w+)\s*=\s*(.+?);", code, re.S))
    return TsModule(interfaces, aliases, constants)


# -- the comparison -----------------------------------------------------------------------


def drift(ts_text: str) -> list[str]:
    """Every way protocol.ts (given as text) differs from protocol.py; empty if none."""
    ts = parse_ts(ts_text)
    problems: list[str] = []
    structs = {ts_name(cls): cls for cls in wire_structs()}
    for name in sorted(structs.keys() - ts.interfaces.keys()):
        problems.append(f"struct {name} has no interface")
    for name in sorted(ts.interfaces.keys() - structs.keys()):
        problems.append(f"interface {name} mirrors no struct")
    for name in sorted(structs.keys() & ts.interfaces.keys()):
        want, have = py_fields(structs[name]), ts.fields(name)
        for field in sorted(want.keys() - have.keys()):
            problems.append(f"{name}.{field} is missing")
        for field in sorted(have.keys() - want.keys()):
            problems.append(f"{name}.{field} is not in protocol.py")
        for field in sorted(want.keys() & have.keys()):
            if want[field].optional != have[field].optional:
                wanted = "optional" if want[field].optional else "required"
                problems.append(f"{name}.{field} should be {wanted}")
            if want[field].types != have[field].types:
                problems.append(
                    f"{name}.{field}: type {sorted(map(str, have[field].types))} "
                    f"should be {sorted(map(str, want[field].types))}"
                )
    for name, members in py_literal_aliases().items():
        if name not in ts.aliases:
            problems.append(f"type alias {name} is missing")
        elif ts.resolve(ts.aliases[name]) != members:
            problems.append(f"type alias {name} should be {sorted(members)}")
    for name, value in py_constants().items():
        if name not in ts.constants:
            problems.append(f"constant {name} is missing")
        elif ts.constant(name) != value:
            problems.append(f"constant {name} is {ts.constants[name]!r}, should be {value!r}")
    return problems


def test_protocol_ts_mirrors_protocol_py() -> None:
    problems = drift(PROTOCOL_TS.read_text())
    assert problems == [], "protocol.ts has drifted from protocol.py:\n" + "\n".join(problems)


def test_the_notification_carries_the_status_result() -> None:
    ts = parse_ts(PROTOCOL_TS.read_text())
    notifications = [
        m.groups()
        for text in ts.constants.values()
        if (m := re.fullmatch(r"new NotificationType<(\w+)>\((\w+)\)", " ".join(text.split())))
    ]
    assert notifications == [(ts_name(protocol.STATUS.result), "STATUS_NOTIFICATION")]


def test_every_struct_is_compared() -> None:
    """The generic walk really finds the structs: the ones behind every method, the
    command result and the shared bases."""
    names = {ts_name(cls) for cls in wire_structs()}
    for method in protocol.REQUESTS:
        assert {ts_name(method.params), ts_name(method.result)} <= names
    assert {"CommandResult", "Target", "StatusCounts", "FolderStatus", "Node"} <= names


def doctored(old: str, new: str) -> list[str]:
    text = PROTOCOL_TS.read_text()
    assert old in text, f"the doctoring needs {old!r} in protocol.ts"
    return drift(text.replace(old, new, 1))


def test_a_missing_field_is_caught() -> None:
    assert "SearchFilters.pathGlobs is missing" in doctored("  pathGlobs?: string[];\n", "")


def test_an_inherited_field_is_caught() -> None:
    problems = doctored("  embeddingPaused: boolean;\n", "")
    assert "FolderStatus.embeddingPaused is missing" in problems


def test_a_required_field_made_optional_is_caught() -> None:
    assert "SearchHit.score should be required" in doctored("  score: number;", "  score?: number;")


def test_a_wrong_type_is_caught() -> None:
    problems = doctored("  uri: string | null;", "  uri: string;")
    assert any(p.startswith("Node.uri: type") for p in problems), problems


def test_a_changed_literal_is_caught() -> None:
    problems = doctored("'read-only'", "'readonly'")
    assert "type alias Phase should be" in " ".join(problems), problems


def test_a_renamed_method_is_caught() -> None:
    problems = doctored("('kenning/impact')", "('kenning/impacts')")
    assert any(p.startswith("constant IMPACT is") for p in problems), problems


def test_a_missing_command_is_caught() -> None:
    problems = doctored("export const PAUSE_EMBEDDING = 'kenning.pauseEmbedding';\n", "")
    assert "constant PAUSE_EMBEDDING is missing" in problems


def test_a_stale_interface_is_caught() -> None:
    text = PROTOCOL_TS.read_text() + "\nexport interface Gone {\n  x: string;\n}\n"
    assert "interface Gone mirrors no struct" in drift(text)
