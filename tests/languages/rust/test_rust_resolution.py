"""Rust resolution, checked against annotated fixture files (stack-graphs style).

`fixtures/shop/` is a small Cargo package (a library, a nested module tree and a
binary). Every call in it is followed by one comment line per call on that line:

    cart.add(Item::new("tea", 3));
    // ^ cart.add -> shop::cart::Cart::add (typed)
    // ^ Item::new -> shop::model::Item::new (import)

naming the callee as written, the qualified name of the definition it must resolve
to (or the `ext:` placeholder of a call outside the workspace) and the resolution
kind. The test indexes the package with the real engine and compares every CALLS
edge of the fixture with its annotation, both ways: an edge without an annotation
fails the test as much as an annotation without its edge.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from helpers import Workspace, rows, stored_edges
from kenning.engine import Engine

FIXTURE = Path(__file__).parent / "fixtures" / "shop"
ANNOTATION = re.compile(r"^\s*// \^ (?P<callee>.+?) -> (?P<target>\S+) \((?P<how>[a-z-]+)\)$")

Expectation = tuple[str, int, str]  # (path, 0-based line of the call, callee text)


def annotated_calls(root: Path) -> dict[Expectation, tuple[str, str]]:
    """`(path, call line, callee) -> (target qualname, resolution)` from the comments."""
    expected: dict[Expectation, tuple[str, str]] = {}
    for file in sorted(root.rglob("*.rs")):
        path = file.relative_to(root).as_posix()
        call_line = -1
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines()):
            found = ANNOTATION.match(line)
            if found is None:
                call_line = number
                continue
            key = (path, call_line, found["callee"])
            assert key not in expected, f"two annotations for {key}"
            expected[key] = (found["target"], found["how"])
    return expected


def indexed_calls(engine: Engine) -> dict[Expectation, tuple[str, str]]:
    """`(path, call line, callee) -> (target qualname or ext: id, resolution)`."""
    got: dict[Expectation, tuple[str, str]] = {}
    for e in stored_edges(engine):
        assert e.call is not None
        target = e.dst if e.kind == "external" else e.qualname
        got[(e.path, e.span.start_line, e.call.callee)] = (target, e.resolution)
    return got


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("rust") / "shop"
    shutil.copytree(FIXTURE, root)
    workspace = Workspace(root)
    engine = workspace.open()
    engine.index()
    yield engine
    workspace.close_all()


def test_every_call_resolves_as_its_annotation_says(shop: Engine) -> None:
    expected = annotated_calls(FIXTURE)
    got = indexed_calls(shop)
    assert len(expected) >= 30
    mismatches = {
        key: {"expected": expected.get(key), "indexed": got.get(key)}
        for key in sorted(set(expected) | set(got))
        if expected.get(key) != got.get(key)
    }
    assert mismatches == {}


def test_impl_trait_for_type_and_supertraits_are_inheritance_edges(shop: Engine) -> None:
    inherits = rows(
        shop,
        "MATCH (a:Symbol)-[e:INHERITS]->(b:Symbol) RETURN a.qualname, e.expr, "
        "CASE WHEN b.kind = 'external' THEN b.id ELSE b.qualname END, e.resolution",
    )
    assert inherits == [
        ("shop::hello::hello::Guard", "Drop", "ext:Drop", "builtin"),
        ("shop::model::Item", "Priced", "shop::model::Priced", "same-file"),
        ("shop::model::Labelled", "Priced", "shop::model::Priced", "same-file"),
    ]


def test_uses_resolve_to_modules_and_items_and_reexports_are_flagged(shop: Engine) -> None:
    imports = rows(
        shop,
        "MATCH (a:Symbol)-[e:IMPORTS]->(b:Symbol) WHERE a.path = 'src/lib.rs' "
        "RETURN e.module, e.name, e.alias, b.qualname, e.resolution, e.reexport",
    )
    assert imports == [
        ("cart", "Cart", "Cart", "shop::cart::Cart", "import", True),
        ("hello", "hello", "hello", "shop::hello::hello", "import", True),
        ("model", "Item", "Item", "shop::model::Item", "import", True),
        ("model", "Priced", "Priced", "shop::model::Priced", "import", True),
    ]
    wildcard = rows(
        shop,
        "MATCH (a:Symbol)-[e:IMPORTS]->(b:Symbol) WHERE a.path = 'src/cart/mod.rs' "
        "RETURN e.module, e.name, e.kind, b.qualname, e.resolution",
    )
    assert ("crate::util", "*", "wildcard", "shop::util", "import") in wildcard
    assert ("self::tax", "Tax", "name", "shop::cart::tax::Tax", "import") in wildcard
    # A `use` binding the name it imports is not read through itself, in a full index
    # (which resolves decoded copies of the imports) as in a save.
    outside = rows(
        shop,
        "MATCH (a:Symbol)-[e:IMPORTS]->(b:Symbol) WHERE a.path = 'src/util.rs' "
        "AND e.kind <> 'wildcard' RETURN e.module, e.name, b.id, e.resolution",
    )
    assert outside == [("tempfile", "tempfile", "ext:tempfile::tempfile", "external")]


def test_module_names_follow_the_cargo_layout(shop: Engine) -> None:
    modules = rows(shop, "MATCH (f:File) WHERE f.path ENDS WITH '.rs' RETURN f.path, f.module")
    assert modules == [
        ("src/bin/cli.rs", "cli"),
        ("src/cart/mod.rs", "shop::cart"),
        ("src/cart/tax.rs", "shop::cart::tax"),
        ("src/greet.rs", "shop::greet"),
        ("src/hello.rs", "shop::hello"),
        ("src/lib.rs", "shop"),
        ("src/model.rs", "shop::model"),
        ("src/util.rs", "shop::util"),
    ]
