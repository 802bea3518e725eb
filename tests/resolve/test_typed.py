"""Resolution through what the code states, one case per rule: source in, edges out.

Each case is a small workspace and the edges `(caller id, callee text) -> (target id,
resolution)` it must have; `more` lists the extra edges of a site (overrides,
candidates) as `(caller id, callee text, target id, resolution)`.
"""

from __future__ import annotations

from typing import Any

import pytest

from helpers import Workspace, rows

CASES: dict[str, dict[str, Any]] = {
    "self attribute assigned a constructor": {
        "files": {
            "m.py": """
                class Headers:
                    def get(self, k): ...

                class Request:
                    def __init__(self):
                        self.headers = None
                        self.headers = Headers()

                    def read(self):
                        return self.headers.get("a")
                """,
        },
        "edges": {("m.py#Request.read", "self.headers.get"): ("m.py#Headers.get", "typed")},
    },
    "dataclass field and annotated class attribute": {
        "files": {
            "m.py": """
                from dataclasses import dataclass

                class Filter:
                    def as_const(self): ...

                @dataclass
                class Node:
                    node: Filter

                    def fold(self):
                        return self.node.as_const()
                """,
        },
        "edges": {("m.py#Node.fold", "self.node.as_const"): ("m.py#Filter.as_const", "typed")},
    },
    "annotated parameter, optional and quoted": {
        "files": {
            "a.py": """
                class Filter:
                    def as_const(self): ...
                """,
            "b.py": """
                from typing import Optional
                from a import Filter

                def visit(node: "Filter", other: Optional[Filter] = None, x: Filter | None = None):
                    node.as_const()
                    other.as_const()
                    x.as_const()
                """,
        },
        "edges": {
            ("b.py#visit", "node.as_const"): ("a.py#Filter.as_const", "typed"),
            ("b.py#visit", "other.as_const"): ("a.py#Filter.as_const", "typed"),
            ("b.py#visit", "x.as_const"): ("a.py#Filter.as_const", "typed"),
        },
    },
    "local from a constructor and from an annotated function": {
        "files": {
            "m.py": """
                class EnvironBuilder:
                    def close(self): ...

                def make() -> "EnvironBuilder":
                    return EnvironBuilder()

                def run():
                    builder = EnvironBuilder()
                    builder.close()
                    other = make()
                    other.close()
                    make().close()
                """,
        },
        "edges": {
            ("m.py#run", "builder.close"): ("m.py#EnvironBuilder.close", "typed"),
            ("m.py#run", "other.close"): ("m.py#EnvironBuilder.close", "typed"),
            ("m.py#run", "make().close"): ("m.py#EnvironBuilder.close", "typed"),
        },
    },
    "builtin and standard-library receivers are not matched by name": {
        "files": {
            "m.py": """
                import io

                class ImmutableList:
                    def append(self, x): ...
                    def join(self, x): ...
                    def write(self, x): ...

                class Registry:
                    def __init__(self):
                        self.names = []
                        self.index = dict()

                    def add(self, name):
                        self.names.append(name)
                        self.index.update({name: 1})

                def run(items: list[int]):
                    seen = []
                    seen.append(1)
                    items.append(2)
                    ", ".join(["a"])
                    buffer = io.StringIO()
                    buffer.write("x")
                """,
        },
        "edges": {
            ("m.py#run", "seen.append"): ("ext:builtins.list.append", "builtin"),
            ("m.py#run", "items.append"): ("ext:builtins.list.append", "builtin"),
            ("m.py#run", '", ".join'): ("ext:builtins.str.join", "builtin"),
            ("m.py#run", "buffer.write"): ("ext:io.StringIO.write", "external"),
            ("m.py#Registry.add", "self.names.append"): ("ext:builtins.list.append", "builtin"),
            ("m.py#Registry.add", "self.index.update"): ("ext:builtins.dict.update", "builtin"),
        },
    },
    "self attribute assigned an annotated parameter": {
        "files": {
            "m.py": """
                class Context:
                    def exit(self): ...

                class Runner:
                    def __init__(self, ctx: Context):
                        self.ctx = ctx

                    def stop(self):
                        self.ctx.exit()
                """,
        },
        "edges": {("m.py#Runner.stop", "self.ctx.exit"): ("m.py#Context.exit", "typed")},
    },
    "self attribute that is a property with a stated return type": {
        "files": {
            "m.py": """
                class Lexer:
                    def tokenize(self, s): ...

                class Environment:
                    @property
                    def lexer(self) -> "Lexer":
                        return Lexer()

                    def parse(self, s):
                        return self.lexer.tokenize(s)
                """,
        },
        "edges": {
            ("m.py#Environment.parse", "self.lexer.tokenize"): ("m.py#Lexer.tokenize", "typed")
        },
    },
    "loop variables over stated containers and iterators": {
        "files": {
            "m.py": """
                import typing as t

                class Param:
                    def add_to_parser(self, p): ...

                class Command:
                    def get_params(self) -> t.List["Param"]: ...

                    def make_parser(self, params: t.Optional[t.Sequence[Param]]):
                        for param in self.get_params():
                            param.add_to_parser(1)
                        for other in params:
                            other.add_to_parser(2)
                        for key in {"a": 1}:
                            key.add_to_parser(3)
                """,
        },
        "edges": {
            ("m.py#Command.make_parser", "param.add_to_parser"): (
                "m.py#Param.add_to_parser",
                "typed",
            ),
            ("m.py#Command.make_parser", "other.add_to_parser"): (
                "m.py#Param.add_to_parser",
                "typed",
            ),
            # A dict literal's keys: nothing stated, so only a guess by the name,
            # which one method in the workspace has.
            ("m.py#Command.make_parser", "key.add_to_parser"): (
                "m.py#Param.add_to_parser",
                "name-only",
            ),
        },
    },
    "overload stubs resolve to the implementation": {
        "files": {
            "m.py": """
                from typing import overload

                @overload
                def get(x: int) -> int: ...
                @overload
                def get(x: str) -> str: ...
                def get(x):
                    return x

                def run():
                    get(1)
                """,
        },
        "edges": {("m.py#run", "get"): ("m.py#get@3", "same-file")},
    },
    "if/else definitions: the later one": {
        "files": {
            "m.py": """
                import sys

                if sys.version_info >= (3, 12):
                    def helper(): ...
                else:
                    def helper(): ...

                def run():
                    helper()
                """,
        },
        "edges": {("m.py#run", "helper"): ("m.py#helper@2", "same-file")},
    },
    "virtual dispatch: the base method and the overrides": {
        "files": {
            "m.py": """
                class Serializer:
                    def dumps(self):
                        return self.dump_payload()

                    def dump_payload(self): ...

                class URLSafe(Serializer):
                    def dump_payload(self): ...

                class Deeper(URLSafe):
                    def dump_payload(self): ...
                """,
        },
        "edges": {
            ("m.py#Serializer.dumps", "self.dump_payload"): (
                "m.py#Serializer.dump_payload",
                "self",
            ),
        },
        "more": {
            ("m.py#Serializer.dumps", "self.dump_payload", "m.py#URLSafe.dump_payload", "override"),
            ("m.py#Serializer.dumps", "self.dump_payload", "m.py#Deeper.dump_payload", "override"),
        },
    },
    "attribute chain through another class's attributes, across files": {
        "files": {
            "core.py": """
                class Command:
                    def get_help_option(self): ...

                class Context:
                    def __init__(self, command: "Command"):
                        self.command = command
                """,
            "parser.py": """
                from core import Context

                class Base:
                    def __init__(self, ctx: Context):
                        self.ctx = ctx

                class Parser(Base):
                    def help(self):
                        self.ctx.command.get_help_option()
                """,
        },
        "edges": {
            ("parser.py#Parser.help", "self.ctx.command.get_help_option"): (
                "core.py#Command.get_help_option",
                "typed",
            )
        },
    },
    "attribute chain from a typed local: a dataclass field and a constructor": {
        "files": {
            "symbols.py": """
                from dataclasses import dataclass

                class Symbols:
                    def analyze_node(self, node): ...

                class Loader:
                    def load(self): ...

                @dataclass
                class Frame:
                    symbols: Symbols

                    def __post_init__(self):
                        self.loader = Loader()
                """,
            "compiler.py": """
                from symbols import Frame

                def visit(frame: Frame, node):
                    frame.symbols.analyze_node(node)
                    frame.loader.load()
                """,
        },
        "edges": {
            ("compiler.py#visit", "frame.symbols.analyze_node"): (
                "symbols.py#Symbols.analyze_node",
                "typed",
            ),
            ("compiler.py#visit", "frame.loader.load"): ("symbols.py#Loader.load", "typed"),
        },
    },
    "attribute chain: an attribute assigned two types is not followed": {
        "files": {
            "m.py": """
                class A:
                    def run(self): ...

                class B:
                    def run(self): ...

                class Holder:
                    def __init__(self, flag):
                        self.worker = A() if flag else None
                        if flag:
                            self.worker = A()
                        else:
                            self.worker = B()

                def go(h: Holder):
                    h.worker.run()
                """,
        },
        "edges": {
            ("m.py#go", "h.worker.run"): ("m.py#A.run", "candidate"),
        },
        "absent": [("m.py#go", "h.worker.run", "typed")],
    },
    "what a typed value's method returns: a local, a self attribute, a loop": {
        "files": {
            "lexer.py": """
                import typing as t

                class Token:
                    def test(self, expr): ...

                class TokenStream:
                    def __init__(self):
                        self.current = Token()

                class Environment:
                    def _tokenize(self, source) -> TokenStream: ...
                    def tokens(self) -> t.List[Token]: ...
                """,
            "parser.py": """
                from lexer import Environment

                class Parser:
                    def __init__(self, environment: Environment, source):
                        self.stream = environment._tokenize(source)

                    def parse(self):
                        return self.stream.current.test("name")

                def walk(env: Environment):
                    stream = env._tokenize("x")
                    stream.current.test("a")
                    for token in env.tokens():
                        token.test("b")
                """,
        },
        "edges": {
            ("parser.py#Parser.parse", "self.stream.current.test"): (
                "lexer.py#Token.test",
                "typed",
            ),
            ("parser.py#walk", "stream.current.test"): ("lexer.py#Token.test", "typed"),
            ("parser.py#walk", "token.test"): ("lexer.py#Token.test", "typed"),
        },
    },
    "with ... as: what __enter__ states it returns": {
        "files": {
            "m.py": """
                class Context:
                    def __enter__(self) -> "Context":
                        return self

                    def __exit__(self, *exc): ...

                    def exit(self): ...

                class Command:
                    def make_context(self) -> Context:
                        return Context()

                    def main(self):
                        with self.make_context() as ctx:
                            ctx.exit()
                """,
        },
        "edges": {("m.py#Command.main", "ctx.exit"): ("m.py#Context.exit", "typed")},
    },
    "isinstance narrows a name inside its block only": {
        "files": {
            "nodes.py": """
                class Expr:
                    def as_const(self): ...

                class Other:
                    def as_const(self): ...
                """,
            "optimizer.py": """
                import nodes

                def fold(node, other):
                    if isinstance(node, nodes.Expr):
                        node.as_const()
                    other.as_const()
                    node.as_const()
                """,
        },
        # Two sites name `node.as_const`: only the one in the block is typed.
        "edges": {},
        "more": [("optimizer.py#fold", "node.as_const", "nodes.py#Expr.as_const", "typed")],
        "count": {("optimizer.py#fold", "node.as_const", "typed"): 1},
    },
    "an unknown receiver: a method name defined once is a name-only guess, unless a "
    "builtin type has it": {
        "files": {
            "a.py": """
                class FilterStack:
                    def enable_grouping(self): ...
                    def append(self, x): ...
                """,
            "b.py": """
                def build(stack, items):
                    stack.enable_grouping()
                    items.append(1)
                """,
        },
        "edges": {
            ("b.py#build", "stack.enable_grouping"): (
                "a.py#FilterStack.enable_grouping",
                "name-only",
            ),
            ("b.py#build", "items.append"): ("a.py#FilterStack.append", "candidate"),
        },
    },
    "a Protocol type: its members never run, so only the name is known": {
        "files": {
            "m.py": """
                import typing as t

                class _PDataSerializer(t.Protocol[str]):
                    def dumps(self, obj) -> str: ...

                class _CompactJSON:
                    def dumps(self, obj) -> str: ...

                class Serializer:
                    def __init__(self, serializer: _PDataSerializer[str]):
                        self.serializer = serializer

                    def dump(self, obj):
                        return self.serializer.dumps(obj)
                """,
        },
        "edges": {
            ("m.py#Serializer.dump", "self.serializer.dumps"): (
                "m.py#_CompactJSON.dumps",
                "name-only",
            )
        },
    },
    "a function nested in another is never a name-only guess from elsewhere": {
        "files": {
            "m.py": """
                def determine_setters():
                    def fmt_setter(name): ...
                    return fmt_setter

                def make():
                    fmt_setter = determine_setters()
                    fmt_setter("x")
                """,
        },
        "edges": {("m.py#make", "fmt_setter"): ("m.py#determine_setters.fmt_setter", "candidate")},
    },
    "a parameter called as a function: each function the file passes for it": {
        "files": {
            "grouping.py": """
                def match(token): ...

                def _group(tlist, match, valid=lambda t: True, post=None):
                    for token in tlist:
                        if match(token) and valid(token):
                            post(tlist)

                def is_keyword(token): ...

                def group_a(tlist):
                    def match(token): ...
                    def post(tlist): ...
                    _group(tlist, match, post=post)

                def group_b(tlist):
                    def match(token): ...
                    _group(tlist, match, is_keyword)
                """,
        },
        "edges": {},
        "more": [
            ("grouping.py#_group", "match", "grouping.py#group_a.match", "callback"),
            ("grouping.py#_group", "match", "grouping.py#group_b.match", "callback"),
            ("grouping.py#_group", "valid", "grouping.py#is_keyword", "callback"),
            ("grouping.py#_group", "post", "grouping.py#group_a.post", "callback"),
        ],
        # The parameter shadows the module's `match`.
        "absent": [("grouping.py#_group", "match", "same-file")],
    },
    "an unknown receiver: candidates, not a guess": {
        "files": {
            "a.py": """
                class LRUCache:
                    def get(self, k): ...
                """,
            "b.py": """
                class Store:
                    def get(self, k): ...

                def run(cache):
                    cache.get(1)
                    cache.__getitem__(1)
                """,
        },
        "edges": {
            ("b.py#run", "cache.get"): ("b.py#Store.get", "candidate"),
            ("b.py#run", "cache.__getitem__"): ("ext:__getitem__", "unresolved"),
        },
        "more": {
            ("b.py#run", "cache.get", "b.py#Store.get", "candidate"),
            ("b.py#run", "cache.get", "a.py#LRUCache.get", "candidate"),
        },
    },
    "an abstract method's overrides are the answer, the method an abstract edge": {
        "files": {
            "base.py": """
                import abc

                class Command:
                    def invoke(self, ctx):
                        \"\"\"Run the command.\"\"\"
                        raise NotImplementedError("subclasses do")

                    def main(self, ctx):
                        return self.invoke(ctx)

                class Loader(abc.ABC):
                    @abc.abstractmethod
                    def get_source(self, name): ...

                    def load(self, name):
                        return self.get_source(name)

                class Plain:
                    def run(self):
                        raise NotImplementedError

                    def go(self):
                        self.run()
                """,
            "impl.py": """
                from base import Command, Loader

                class Group(Command):
                    def invoke(self, ctx): ...

                class FileLoader(Loader):
                    def get_source(self, name): ...

                class DictLoader(Loader):
                    def get_source(self, name): ...

                def render(loader: Loader, cmd: Command):
                    loader.get_source("x")
                    cmd.invoke(None)
                """,
        },
        "edges": {
            ("base.py#Command.main", "self.invoke"): ("impl.py#Group.invoke", "self"),
            ("impl.py#render", "cmd.invoke"): ("impl.py#Group.invoke", "typed"),
            # No override: the method itself stays the answer.
            ("base.py#Plain.go", "self.run"): ("base.py#Plain.run", "self"),
        },
        "more": {
            ("base.py#Command.main", "self.invoke", "base.py#Command.invoke", "abstract"),
            ("impl.py#render", "cmd.invoke", "base.py#Command.invoke", "abstract"),
            # Two overrides: each is an answer, for some loader.
            ("base.py#Loader.load", "self.get_source", "impl.py#FileLoader.get_source", "self"),
            ("base.py#Loader.load", "self.get_source", "impl.py#DictLoader.get_source", "self"),
            ("base.py#Loader.load", "self.get_source", "base.py#Loader.get_source", "abstract"),
            ("impl.py#render", "loader.get_source", "impl.py#FileLoader.get_source", "typed"),
            ("impl.py#render", "loader.get_source", "impl.py#DictLoader.get_source", "typed"),
            ("impl.py#render", "loader.get_source", "base.py#Loader.get_source", "abstract"),
        },
        "absent": [
            ("base.py#Command.main", "self.invoke", "override"),
            ("base.py#Loader.load", "self.get_source", "override"),
        ],
    },
}


@pytest.mark.parametrize("case", list(CASES))
def test_resolution(workspace: Workspace, case: str) -> None:
    spec = CASES[case]
    engine = workspace.indexed(spec["files"])
    found = rows(
        engine,
        "MATCH (a:Symbol)-[e:CALLS]->(b:Symbol) RETURN a.id, e.callee, b.id, e.resolution",
    )
    primary = {
        (a, text): (b, how) for a, text, b, how in found if how not in ("override", "abstract")
    }
    for key, want in spec["edges"].items():
        if want[1] == "candidate":
            assert (*key, *want) in found, case
        else:
            assert primary.get(key) == want, case
    for edge in spec.get("more", ()):
        assert edge in found, case
    for (caller, text, how), n in spec.get("count", {}).items():
        assert len([e for e in found if e[:2] == (caller, text) and e[3] == how]) == n, case
    for caller, text, how in spec.get("absent", ()):
        assert not [e for e in found if e[:2] == (caller, text) and e[3] == how], case
