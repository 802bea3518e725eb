"""Hybrid search's ranking on a real index of a small project (text and names; the
vector ranker is covered by the embedding tests): the name field, one hit per symbol,
methods above their own class outline, test code below library code, and the note
that says when vectors were not used."""

from __future__ import annotations

import msgspec
import pytest

from helpers import Workspace
from kenning.engine import Engine
from kenning.query.search import DEFAULT_RANKING, is_test_path, search
from kenning.storage.chunks import ChunkFilter, identifier_words, name_terms, split_query

LONG_BODY = "\n".join(f"            total += step_{i}(value)" for i in range(80))

FILES = {
    "shop/__init__.py": "",
    "shop/cart.py": f'''\
        class ShoppingCart:
            """Holds the products a customer picked."""

            def add_item(self, product, quantity=1):
                self.items.append((product, quantity))

            def remove_item(self, product):
                self.items = [i for i in self.items if i[0] != product]

            def total_price(self):
                return sum(p.price * q for p, q in self.items)


        def checkout_order(cart, value):
            total = 0
{LONG_BODY}
            return total
        ''',
    "shop/pricing.py": """\
        def apply_discount(price, percent):
            return price * (1 - percent / 100)
        """,
    "tests/test_cart.py": """\
        from shop.cart import ShoppingCart


        def test_remove_item_removes_the_product():
            cart = ShoppingCart()
            cart.remove_item("apple")
        """,
}


@pytest.fixture
def engine(workspace: Workspace) -> Engine:
    return workspace.indexed(FILES)


def hybrid(engine: Engine, query: str, **changes: object) -> list[str]:
    ranking = msgspec.structs.replace(DEFAULT_RANKING, **changes)
    result = search(engine.graph, engine.chunks, query, 10, ChunkFilter(), "hybrid", None, ranking)
    return [hit.symbol.rpartition(".")[2] if hit.symbol else hit.path for hit in result.hits]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("parse_config", ["parse", "config"]),
        ("HTTPAdapter", ["http", "adapter"]),
        ("getURL2", ["get", "url", "2"]),
        ("ShoppingCart.add_item", ["shopping", "cart", "add", "item"]),
    ],
)
def test_identifiers_split_into_words(text: str, words: list[str]) -> None:
    assert identifier_words(text) == words


def test_the_terms_field_holds_name_qualified_name_and_path_words() -> None:
    terms = name_terms("shop/cart.py#ShoppingCart.add_item@2", "shop/cart.py")
    assert terms == "add item shopping cart add item shop cart"
    # A query's identifiers are searched whole and as their words.
    assert split_query("find ShoppingCart") == "find ShoppingCart shopping cart"


def test_a_method_named_by_the_query_ranks_above_its_class_outline(engine: Engine) -> None:
    found = hybrid(engine, "remove an item from the shopping cart")
    assert found.index("remove_item") < found.index("ShoppingCart")


def test_a_query_for_the_class_still_finds_the_class_first(engine: Engine) -> None:
    assert hybrid(engine, "shopping cart")[0] == "ShoppingCart"


def test_test_code_ranks_below_the_code_it_tests(engine: Engine) -> None:
    found = hybrid(engine, "remove item product")
    assert found.index("remove_item") < found.index("test_remove_item_removes_the_product")
    # Unless the query asks for tests.
    about_tests = hybrid(engine, "test remove item product")
    assert about_tests[0] == "test_remove_item_removes_the_product"


def test_a_long_function_is_one_hit_spanning_all_its_lines(engine: Engine) -> None:
    pieces = [r for r in engine.chunks.by_symbols(["shop/cart.py#checkout_order"])]
    assert len(pieces) > 1  # the function is split into several chunks
    result = engine.search("checkout order step", mode="text")
    hits = [h for h in result.hits if h.symbol_id == "shop/cart.py#checkout_order"]
    assert len(hits) == 1
    assert hits[0].start_line == min(p["start_line"] for p in pieces)
    assert hits[0].end_line == max(p["end_line"] for p in pieces)


def test_without_grouping_each_piece_is_its_own_hit(engine: Engine) -> None:
    found = hybrid(engine, "checkout order step", group_symbols=False)
    assert found.count("checkout_order") > 1


def test_a_snake_case_name_is_found_from_its_words(engine: Engine) -> None:
    assert hybrid(engine, "apply a discount to a price")[0] == "apply_discount"


def test_search_before_vectors_says_it_used_text_and_names(engine: Engine) -> None:
    # Found by text and names; `vectors_complete` says the vectors are missing (the
    # CLI prints that, editors show it), and no warning note nags a text-only user.
    result = engine.search("apply discount", mode="hybrid")
    assert result.hits and not result.vectors_complete
    assert result.note == ""


@pytest.mark.parametrize(
    ("path", "is_test"),
    [
        ("tests/test_cart.py", True),
        ("pkg/cart_test.go", True),
        ("web/cart.test.ts", True),
        ("web/cart.spec.js", True),
        ("src/__tests__/cart.js", True),
        ("conftest.py", True),
        ("shop/cart.py", False),
        ("shop/testing_utils_are_not_tests.py", False),
        ("shop/contest.py", False),
    ],
)
def test_test_paths(path: str, is_test: bool) -> None:
    assert is_test_path(path) is is_test


def test_the_graph_prior_lifts_the_function_the_code_calls(workspace: Workspace) -> None:
    engine = workspace.indexed(
        {
            "conf/__init__.py": "",
            "conf/load.py": """\
                def load_settings_file(path):
                    return open(path).read()


                def load_settings(path):
                    return open(path).read()
                """,
            "conf/app.py": """\
                from conf.load import load_settings


                def start():
                    return load_settings("a")


                def restart():
                    return load_settings("b")
                """,
        }
    )

    def scores(weight: float) -> dict[str, float]:
        ranking = msgspec.structs.replace(DEFAULT_RANKING, caller_weight=weight)
        result = search(engine.graph, engine.chunks, "read the settings from a file", 10,
                        ChunkFilter(), "hybrid", None, ranking)  # fmt: skip
        return {hit.symbol.rpartition(".")[2]: hit.score for hit in result.hits}

    plain, lifted = scores(0.0), scores(1.0)  # off by default (measured: no gain)
    # The most-called candidate (two callers) doubles; one nothing calls keeps its score.
    assert lifted["load_settings"] == pytest.approx(2 * plain["load_settings"], rel=1e-3)
    assert lifted["load_settings_file"] == pytest.approx(plain["load_settings_file"])
