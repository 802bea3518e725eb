"""Hybrid search's ranking on a real index of a small project (text and names; the
vector rankers are covered by the embedding tests): the name field, name matches, one
hit per symbol and per overloaded name, methods above their own class outline, test
code below library code, definitions' descriptions, and the note that says when
vectors were not used."""

from __future__ import annotations

import msgspec
import pyarrow as pa
import pytest

from helpers import Workspace
from kenning.core.facts import text_hash
from kenning.engine import Engine
from kenning.query.search import (
    DEFAULT_RANKING,
    is_test_path,
    joined_pairs,
    leading_verb_names,
    names_a_thing,
    search,
    words_match,
)
from kenning.storage.chunks import (
    ChunkFilter,
    describe,
    identifier_words,
    name_terms,
    split_query,
    split_words_column,
)

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


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("class AppContext(Base):", "class App Context(Base):"),
        ("getUserName(req)", "get User Name(req)"),
        ("HTTPAdapter, XMLHttpRequest", "HTTP Adapter, XML Http Request"),
        ("sha256 b64encode", "sha 256 b 64 encode"),
        # The tokenizer splits these itself.
        ("app_context MAX_SIZE x", "app_context MAX_SIZE x"),
    ],
)
def test_the_words_field_splits_identifiers_where_their_words_meet(text: str, words: str) -> None:
    assert split_words_column(pa.array([text]))[0].as_py() == words


def test_text_search_finds_code_by_the_words_of_a_camel_case_name(workspace: Workspace) -> None:
    engine = workspace.indexed(
        {
            "billing/quote.py": """\
                def quote_total(order):
                    return PriceCalculator().compute(order)


                def ship_order(order):
                    return order.ship()
                """,
        }
    )
    hits = [r["symbol_id"] for r in engine.chunks.search_text("price calculator", 5)]
    assert hits[:1] == ["billing/quote.py#quote_total"]
    # The raw text holds the name as one token (pricecalculator): no match there.
    engine.chunks.build_text_indexes(("text",))
    assert engine.chunks.search_text("price calculator", 5, field="text") == []


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


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("item", "item", True),
        ("iter", "iterable", True),  # a prefix of 3 letters or more
        ("parse", "parsing", True),  # a stem: all but the shorter word's last letter
        ("normalize", "normalization", True),
        ("adaptr", "adapter", True),  # one edit, both 5 letters or more
        ("recieve", "receive", True),  # two neighbours swapped
        ("first", "last", False),
        ("make", "making", False),  # too short a stem to tell
        ("form", "from", False),  # one edit, but short words
        ("at", "attr", False),
    ],
)
def test_words_match(a: str, b: str, same: bool) -> None:
    assert words_match(a, b) is same
    assert words_match(b, a) is same


@pytest.mark.parametrize(
    ("symbol_id", "kind", "text", "description"),
    [
        ("a.py#Session.get_adapter", "method", "# Session.get_adapter(self, url)\n",
         "get adapter of session (url)"),
        ("a.py#first", "function", "# first(iterable, default=None)\nx",
         "first (iterable default none)"),
        ("a.ts#Cart.add@2", "method", "// Cart.add(item: Item): void\n// Adds.\n",
         "add of cart (item item void)"),
        ("a.py#Config", "class", "# Config(dict)\n", "config (dict)"),
        ("a.py#", "module", "# a\nimport os\n", ""),
    ],
)  # fmt: skip
def test_a_definition_is_described_by_its_name_owner_and_parameter_words(
    symbol_id: str, kind: str, text: str, description: str
) -> None:
    assert describe(symbol_id, kind, text) == description


def test_descriptions_are_texts_to_embed_beside_the_chunks(engine: Engine) -> None:
    rows = engine.chunks.by_symbols(["shop/cart.py#ShoppingCart.add_item"])
    (row,) = rows
    assert row["desc_hash"] == text_hash("add item of shopping cart (product quantity 1)")
    # The embedding pool sees it as one more text: listed, and its text given.
    assert row["desc_hash"] in engine.chunks.all_hashes()
    assert engine.chunks.texts_for([row["desc_hash"]]) == {
        row["desc_hash"]: "add item of shopping cart (product quantity 1)"
    }
    found = engine.chunks.by_hashes([row["desc_hash"]], columns=["desc_hash"])
    assert [r["id"] for r in found] == [row["id"]]
    both = engine.chunks.by_hashes(
        [row["desc_hash"], row["text_hash"]], None, ["text_hash", "desc_hash"]
    )
    assert [r["id"] for r in both] == [row["id"]]  # each chunk once
    # A long function's pieces share one description; module code has none.
    pieces = engine.chunks.by_symbols(["shop/cart.py#checkout_order"])
    assert len({p["desc_hash"] for p in pieces}) == 1
    assert all(r["desc_hash"] == "" for r in engine.chunks.by_symbols(["shop/pricing.py#"]))


def test_a_name_the_query_spells_lifts_its_definition(engine: Engine) -> None:
    def scores(weight: float) -> dict[str, float]:
        ranking = msgspec.structs.replace(DEFAULT_RANKING, name_match_weight=weight)
        result = search(engine.graph, engine.chunks, "removing items from the cart", 10,
                        ChunkFilter(), "hybrid", None, ranking)  # fmt: skip
        return {hit.symbol.rpartition(".")[2]: hit.score for hit in result.hits}

    plain, lifted = scores(0.0), scores(1.0)
    # remove ~ removing, item ~ items: every word of the name; add_item: one of two.
    assert lifted["remove_item"] == pytest.approx(plain["remove_item"] + 1.0, abs=1e-5)
    assert lifted["add_item"] == pytest.approx(plain["add_item"] + 0.5, abs=1e-5)


LABELS = {
    "tags/__init__.py": "",
    "tags/labels.py": """\
        def label_width(item, font):
            \"\"\"How wide the label of an item is in a font.\"\"\"
            label = item.label
            return font.measure(label)


        def get_label(item):
            return item.text
        """,
    "tags/colours.py": """\
        def label_colour(item):
            return item.colour
        """,
    "tags/fonts.py": """\
        def font_size(font):
            return font.size
        """,
}


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("Returns the label of an item", {"get", "fetch", "retrieve", "obtain"}),
        ("Check whether the label is empty", {"is", "has", "check", "should", "can",
                                             "verify", "validate"}),
        ("creates and returns a new Counter", {"create", "make", "build", "construct", "new"}),
        ("Registers a connection adapter.", {"add", "register", "append", "insert", "attach"}),
        ("The label of an item", set()),  # names a thing
        ("parse the headers", set()),  # the same word in a name: the name match has it
        ("", set()),
    ],
)  # fmt: skip
def test_a_querys_leading_verb_says_how_a_name_of_that_action_opens(
    query: str, names: set[str]
) -> None:
    assert leading_verb_names(query) == names


def test_a_names_leading_verb_matches_the_querys(workspace: Workspace) -> None:
    engine = workspace.indexed(LABELS)
    query = "Returns the label of an item"

    def scores(**changes: object) -> dict[str, float]:
        ranking = msgspec.structs.replace(DEFAULT_RANKING, **changes)
        result = search(engine.graph, engine.chunks, query, 10, ChunkFilter(), "hybrid", None,
                        ranking)  # fmt: skip
        return {hit.symbol.rpartition(".")[2]: hit.score for hit in result.hits}

    plain, verbs = scores(verb_match=False), scores()
    # "returns" is a stop word, so only `label` matched: half of each name. The verb
    # match gives get_label its `get` too; label_width's `label` was already counted.
    assert verbs["get_label"] == pytest.approx(plain["get_label"] + 0.5, abs=1e-5)
    assert verbs["label_width"] == pytest.approx(plain["label_width"], abs=1e-5)
    # The undocumented getter now comes before its documented sibling.
    assert max(plain, key=plain.__getitem__) == "label_width", (plain, verbs)
    assert max(verbs, key=verbs.__getitem__) == "get_label", (plain, verbs)


def test_overloads_of_one_name_are_one_hit_spanning_the_implementation(
    workspace: Workspace,
) -> None:
    engine = workspace.indexed(
        {
            "conv/__init__.py": "",
            "conv/units.py": """\
                from typing import overload


                @overload
                def convert_length(value: int) -> int: ...
                @overload
                def convert_length(value: float) -> float: ...
                def convert_length(value):
                    factor = 2.54
                    return value * factor
                """,
        }
    )

    def found(**changes: object) -> list[tuple[int, int]]:
        ranking = msgspec.structs.replace(DEFAULT_RANKING, **changes)
        result = search(engine.graph, engine.chunks, "convert a length", 10, ChunkFilter(),
                        "hybrid", None, ranking)  # fmt: skip
        return [(h.start_line, h.end_line) for h in result.hits if h.symbol.endswith("length")]

    assert found() == [(7, 9)]  # the implementation's lines (0-based)
    assert len(found(group_names=False)) == 3


@pytest.mark.parametrize(
    ("query", "thing"),
    [
        ("The shopping cart of a customer", True),
        ("A cart", True),
        ("an item in the cart", True),
        ("Return the total price", False),
        ("Adds an item", False),
        ("theme of the shop", False),
        ("", False),
    ],
)
def test_a_query_opening_with_an_article_names_a_thing(query: str, thing: bool) -> None:
    assert names_a_thing(query) is thing


def test_a_query_naming_a_thing_lifts_class_outlines(engine: Engine) -> None:
    def scores(query: str, **changes: object) -> dict[str, float]:
        ranking = msgspec.structs.replace(DEFAULT_RANKING, **changes)
        result = search(engine.graph, engine.chunks, query, 10, ChunkFilter(), "hybrid",
                        None, ranking)  # fmt: skip
        return {hit.symbol.rpartition(".")[2]: hit.score for hit in result.hits}

    factor = DEFAULT_RANKING.thing_outline_factor
    assert factor > 1.0
    thing = "The shopping cart holding the items"
    plain, lifted = scores(thing, query_form=False), scores(thing)
    assert lifted["ShoppingCart"] == pytest.approx(factor * plain["ShoppingCart"], rel=1e-4)
    assert lifted["add_item"] == pytest.approx(plain["add_item"], rel=1e-4)
    # A query that reads as an action leaves outlines as they were.
    action = "Remove the item from the shopping cart"
    assert scores(action) == pytest.approx(scores(action, query_form=False), rel=1e-4)


def test_neighbouring_query_words_run_together_spell_a_camel_case_name() -> None:
    # Prose and short words are skipped; each pair once.
    assert joined_pairs("The app context of the app context") == [
        "appcontext",
        "contextapp",
    ]
