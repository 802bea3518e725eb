"""Calls without call syntax, one case per category: source in, edges and kinds out.

A property read or write, a special method run by syntax or a builtin, a decorator
applied at definition: each is an edge of its own resolution kind (`property`,
`protocol`, `decorator`), made only through what the code states of the receiver's
type, never by name, and never for a plain attribute. `edges` are
`(caller id, text) -> (target id, resolution)`; `absent` are `(caller id, text)` pairs
that must have no edge at all.
"""

from __future__ import annotations

from typing import Any

import pytest

from helpers import Workspace, rows

CASES: dict[str, dict[str, Any]] = {
    "property getter and setter through self": {
        "files": {
            "m.py": """
                class Client:
                    def __init__(self, url):
                        self.base_url = url
                        self.timeout = 3

                    @property
                    def base_url(self):
                        return self._url

                    @base_url.setter
                    def base_url(self, value):
                        self._url = value

                    def fetch(self):
                        return self.base_url + str(self.timeout)
                """,
        },
        "edges": {
            ("m.py#Client.__init__", "self.base_url"): ("m.py#Client.base_url@2", "property"),
            ("m.py#Client.fetch", "self.base_url"): ("m.py#Client.base_url", "property"),
        },
        # A plain attribute is not a call.
        "absent": {("m.py#Client.fetch", "self.timeout"), ("m.py#Client.__init__", "self.timeout")},
    },
    "an inherited cached_property through self; other receivers are not read": {
        "files": {
            "a.py": """
                from functools import cached_property

                class Base:
                    @cached_property
                    def size(self):
                        return 1
                """,
            "b.py": """
                from a import Base

                class Box(Base):
                    def measure(self, box: Base, other):
                        return self.size + box.size + other.size
                """,
        },
        "edges": {("b.py#Box.measure", "self.size"): ("a.py#Base.size", "property")},
        # Properties are read through `self` only; never a guess by name.
        "absent": {("b.py#Box.measure", "box.size"), ("b.py#Box.measure", "other.size")},
    },
    "subscripts, iteration, len and with through stated types": {
        "files": {
            "m.py": """
                class Headers:
                    def __getitem__(self, key): ...
                    def __setitem__(self, key, value): ...
                    def __delitem__(self, key): ...
                    def __iter__(self): ...
                    def __len__(self): ...

                class Lock:
                    def __enter__(self): ...
                    def __exit__(self, *exc): ...

                def run(headers: Headers, plain):
                    headers["a"] = headers["b"]
                    del headers["c"]
                    for key in headers:
                        pass
                    keys = [k for k in headers]
                    n = len(headers)
                    with Lock() as lock:
                        pass
                    return plain["x"], len(plain)
                """,
        },
        "edges": {
            ("m.py#run", "headers[]"): ("m.py#Headers.__getitem__", "protocol"),
            ("m.py#run", "iter(headers)"): ("m.py#Headers.__iter__", "protocol"),
            ("m.py#run", "len(headers)"): ("m.py#Headers.__len__", "protocol"),
        },
        "more": {
            ("m.py#run", "headers[]", "m.py#Headers.__setitem__", "protocol"),
            ("m.py#run", "headers[]", "m.py#Headers.__delitem__", "protocol"),
            # One site, two edges: `with` runs both.
            ("m.py#run", "with Lock()", "m.py#Lock.__enter__", "protocol"),
            ("m.py#run", "with Lock()", "m.py#Lock.__exit__", "protocol"),
        },
        "absent": {("m.py#run", "plain[]"), ("m.py#run", "len(plain)")},
    },
    "special methods on self": {
        "files": {
            "m.py": """
                class Bag:
                    def __getitem__(self, key): ...
                    def __iter__(self): ...

                    def first(self):
                        for item in self:
                            return self[0]
                """,
        },
        "edges": {
            ("m.py#Bag.first", "iter(self)"): ("m.py#Bag.__iter__", "protocol"),
            ("m.py#Bag.first", "self[]"): ("m.py#Bag.__getitem__", "protocol"),
        },
    },
    "operators and comparisons on stated types": {
        "files": {
            "m.py": """
                class Vec:
                    def __add__(self, other): ...
                    def __eq__(self, other): ...
                    def __lt__(self, other): ...
                    def __contains__(self, item): ...

                def use(v: Vec, w, n: int):
                    total = v + w
                    if v == w or v < w:
                        pass
                    if 3 not in v:
                        pass
                    return w + v, n + 1, v is w
                """,
        },
        "edges": {
            ("m.py#use", "v + _"): ("m.py#Vec.__add__", "protocol"),
            ("m.py#use", "v == _"): ("m.py#Vec.__eq__", "protocol"),
            ("m.py#use", "v < _"): ("m.py#Vec.__lt__", "protocol"),
            ("m.py#use", "_ not in v"): ("m.py#Vec.__contains__", "protocol"),
        },
        # The right operand of `+` is not what runs; an int is never workspace code;
        # `is` runs nothing.
        "absent": [("m.py#use", "w + _"), ("m.py#use", "n + _"), ("m.py#use", "v is _")],
    },
    "decorators applied at definition": {
        "files": {
            "deco.py": """
                def register(fn):
                    return fn
                """,
            "m.py": """
                import functools
                import deco
                from deco import register

                def local_deco(fn):
                    return fn

                @register
                def a(): ...

                @deco.register
                @local_deco
                def b(): ...

                class C:
                    @property
                    def p(self): ...

                    @functools.cache
                    def q(self): ...

                    @local_deco
                    def r(self): ...
                """,
        },
        "edges": {
            ("m.py#", "@register"): ("deco.py#register", "decorator"),
            ("m.py#", "@deco.register"): ("deco.py#register", "decorator"),
            ("m.py#", "@local_deco"): ("m.py#local_deco", "decorator"),
            # In a class body, the class body runs the decorator.
            ("m.py#C", "@local_deco"): ("m.py#local_deco", "decorator"),
        },
        # Builtin and outside decorators are no workspace call.
        "absent": {("m.py#C", "@property"), ("m.py#C", "@functools.cache")},
    },
}


@pytest.mark.parametrize("case", list(CASES))
def test_implicit_calls(workspace: Workspace, case: str) -> None:
    spec = CASES[case]
    engine = workspace.indexed(spec["files"])
    found = rows(
        engine,
        "MATCH (a:Symbol)-[e:CALLS]->(b:Symbol) RETURN a.id, e.callee, b.id, e.resolution",
    )
    by_site: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for a, text, b, how in found:
        by_site.setdefault((a, text), []).append((b, how))
    for key, want in spec["edges"].items():
        assert want in by_site.get(key, []), (case, key, by_site.get(key))
    for edge in spec.get("more", ()):
        assert edge in found, (case, edge)
    for key in spec.get("absent", ()):
        assert key not in by_site, (case, key, by_site[key])
