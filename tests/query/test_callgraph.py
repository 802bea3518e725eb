"""Call graphs, impact and the call hierarchy's neighbours on a real index: each edge
says how it was resolved, `candidate` edges come apart from resolved ones, and a
minimum confidence leaves out (and stops walking through) the less certain edges."""

from __future__ import annotations

import pytest

from helpers import Workspace
from kenning.core.results import SymbolRef
from kenning.engine import Engine

FILES = {
    "shop/__init__.py": "",
    "shop/cart.py": """\
        class Cart:
            def total(self):
                return 1


        class Basket:
            def total(self):
                return 2


        def checkout(cart: Cart):
            return cart.total()


        def guess(thing):
            return thing.total()


        def pay(cart: Cart):
            return checkout(cart)


        def review(thing):
            return guess(thing)
        """,
}


@pytest.fixture
def engine(workspace: Workspace) -> Engine:
    return workspace.indexed(FILES)


def _root(engine: Engine, name: str) -> SymbolRef:
    (found,) = engine.resolve_symbol(name)
    return found


def test_candidates_come_apart_from_resolved_edges(engine: Engine) -> None:
    graph = engine.call_graph(_root(engine, "shop.cart.Cart.total"), "incoming", 1)
    assert [(e.caller, e.resolution) for e in graph.edges] == [("shop/cart.py#checkout", "typed")]
    assert [(e.caller, e.resolution) for e in graph.candidates] == [
        ("shop/cart.py#guess", "candidate")
    ]
    assert all(e.confidence < 0.3 for e in graph.candidates)


def test_a_minimum_confidence_leaves_out_and_stops_at_weaker_edges(engine: Engine) -> None:
    root = _root(engine, "shop.cart.Cart.total")
    everything = engine.call_graph(root, "incoming", 2)
    assert {n.qualname for n in everything.nodes} >= {"shop.cart.guess", "shop.cart.review"}
    sure = engine.call_graph(root, "incoming", 2, min_confidence=0.5)
    assert sure.candidates == []
    assert {n.qualname for n in sure.nodes} == {
        "shop.cart.Cart.total",
        "shop.cart.checkout",
        "shop.cart.pay",
    }
    assert sure.min_confidence == 0.5
    with pytest.raises(ValueError, match="minConfidence"):
        engine.call_graph(root, "incoming", 1, min_confidence=1.5)


def test_impact_keeps_callers_reached_only_through_candidates_apart(engine: Engine) -> None:
    result = engine.impact(_root(engine, "shop.cart.Cart.total"), 3)
    by_name = {c.symbol.qualname: c for c in result.callers}
    assert by_name["shop.cart.checkout"].resolution == "typed"
    assert by_name["shop.cart.pay"].resolution == "same-file"
    # The chain's confidence is the product of its edges' confidences.
    assert by_name["shop.cart.pay"].confidence == pytest.approx(0.9 * 1.0)
    # `review` calls `guess` for sure, but `guess` reaches the root only by a guess.
    assert by_name["shop.cart.guess"].resolution == "candidate"
    assert by_name["shop.cart.review"].resolution == "candidate"
    assert by_name["shop.cart.review"].confidence < 0.3
    sure = engine.impact(_root(engine, "shop.cart.Cart.total"), 3, min_confidence=0.5)
    assert {c.symbol.qualname for c in sure.callers} == {"shop.cart.checkout", "shop.cart.pay"}


def test_neighbours_carry_their_best_edge_candidates_last(engine: Engine) -> None:
    found = engine.neighbours("shop/cart.py#Cart.total", incoming=True)
    assert [(n.symbol.qualname, n.resolution) for n in found] == [
        ("shop.cart.checkout", "typed"),
        ("shop.cart.guess", "candidate"),
    ]
    sure = engine.neighbours("shop/cart.py#Cart.total", incoming=True, min_confidence=0.5)
    assert [n.symbol.qualname for n in sure] == ["shop.cart.checkout"]
