"""The retrieval benchmark's own logic: which functions become queries, how their answers
are hidden, how rankings are scored, and one end-to-end run through the real engine.

This folder has no `__init__.py` on purpose: `tests/` is not a package, so a
`tests/bench/__init__.py` would make this a package named `bench` and shadow the
repository's `bench`. The repository root is put on the path here, as the bench's
scripts do for themselves, because a plain `pytest` run does not add it.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import msgspec
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.evalset import (
    Target,
    blank_docstrings,
    check_blanked,
    collect,
    collect_doc_comments,
    doc_query,
    first_sentence,
    make_blanked_copy,
)
from bench.retrieval import (
    Query,
    classify_miss,
    depth_bucket,
    evaluate,
    metrics,
    range_rank,
    rank_of,
)

from helpers import IN_PROCESS, Workspace
from kenning.core.results import SearchHit
from kenning.core.settings import EmbeddingSettings

FIXTURE = {
    "pkg/__init__.py": "",
    "pkg/geometry.py": '''
        """Shapes and their measurements."""


        def circle_area(radius):
            """Compute the area of a circle from its radius.

            Uses a rough value of pi.
            """
            return 3.14159 * radius * radius


        def rectangle_perimeter(width, height):
            """Compute the perimeter of a rectangle. Width and height must be positive."""
            return 2 * (width + height)


        def short():
            """Too short."""


        class Polygon:
            """A closed shape made of straight sides."""

            def __repr__(self):
                """Return a debugging representation of the polygon object."""
                return "Polygon()"

            def scale_vertices(self, factor):
                """Multiply every vertex coordinate of the polygon by a factor.

                Returns a new polygon.
                """
                return Polygon()

            def closure_maker(self):
                """Build a counter closure over the polygon's vertex count."""

                def counter():
                    """Nested closures have no chunk of their own."""
                    return 1

                return counter
    ''',
    "pkg/storage.py": '''
        import json


        def load_settings(path):
            """Read the settings file from disk and parse its JSON content."""
            with open(path) as handle:
                return json.load(handle)


        def first_value(items):
            """Return the value we care about most."""
            return items[0]


        def last_value(items):
            """Return the value we care about most."""
            return items[-1]


        if json:

            def conditional_helper():
                """Defined under a module-level if, so it lives in the module chunk."""
    ''',
    "tests/test_geometry.py": '''
        def test_circle_area():
            """Check the area of a circle computed from its radius."""
    ''',
}

EXPECTED_QUERIES = {
    ("pkg/geometry.py", "circle_area"): "Compute the area of a circle from its radius",
    ("pkg/geometry.py", "rectangle_perimeter"): "Compute the perimeter of a rectangle",
    ("pkg/geometry.py", "Polygon.scale_vertices"): (
        "Multiply every vertex coordinate of the polygon by a factor"
    ),
    ("pkg/geometry.py", "Polygon.closure_maker"): (
        "Build a counter closure over the polygon's vertex count"
    ),
    ("pkg/storage.py", "load_settings"): (
        "Read the settings file from disk and parse its JSON content"
    ),
}


def write(root: Path, files: dict[str, str]) -> Path:
    Workspace(root).write(files)
    return root


# -- the evaluation set -----------------------------------------------------------


@pytest.mark.parametrize(
    ("docstring", "sentence"),
    [
        ("Compute the area.", "Compute the area"),
        ("Compute the area. Then more.", "Compute the area"),
        ("Compute the\n    area of   a circle\n\nDetails.", "Compute the area of a circle"),
        ("First paragraph\nwithout a period\n   \nSecond.", "First paragraph without a period"),
        ("Version 2.0 is used. Next.", "Version 2.0 is used"),
        ("Use e.g. this one.", "Use e.g"),
        ("", ""),
    ],
)
def test_first_sentence(docstring: str, sentence: str) -> None:
    assert first_sentence(docstring) == sentence


def test_collect_picks_owned_documented_functions_and_drops_ambiguous_queries(
    tmp_path: Path,
) -> None:
    evalset = collect(write(tmp_path, FIXTURE), cap=None)
    got = {(t.path, t.qualname): t.query for t in evalset.targets}
    assert got == EXPECTED_QUERIES
    assert evalset.eligible == len(EXPECTED_QUERIES)
    # tests/ is not evaluated at all; everything else that was seen is accounted for.
    assert dict(evalset.skipped) == {
        "dunder method": 1,
        "first sentence under 4 words": 1,
        "first sentence shared with another definition": 2,
        "no chunk of its own (nested, or under a module-level if/try)": 2,
    }
    assert evalset.candidates == len(EXPECTED_QUERIES) + 6
    circle = next(t for t in evalset.targets if t.name == "circle_area")
    assert (circle.kind, circle.line, circle.doc_line, circle.doc_end_line) == ("function", 5, 6, 9)


def test_the_class_set_takes_owned_documented_classes(tmp_path: Path) -> None:
    evalset = collect(write(tmp_path, FIXTURE), cap=None, classes=True)
    (polygon,) = evalset.targets
    assert (polygon.qualname, polygon.kind) == ("Polygon", "class")
    assert polygon.query == "A closed shape made of straight sides"
    assert (polygon.line, polygon.end_line) == (22, 43)


def test_sampling_is_deterministic_and_keeps_source_order(tmp_path: Path) -> None:
    root = write(tmp_path, FIXTURE)
    first = collect(root, cap=3, seed=7).targets
    assert first == collect(root, cap=3, seed=7).targets
    assert len(first) == 3
    assert first == sorted(first, key=lambda t: (t.path, t.line))
    every = collect(root, cap=None).targets
    assert set(first) <= set(every)


DOC_COMMENT_FIXTURE = {
    "src/shapes.ts": """
        /**
         * Compute the area of a circle from its radius.
         * @param radius the radius
         */
        export function circleArea(radius: number): number {
          return 3.14159 * radius * radius;
        }

        /** A closed shape made of straight sides. */
        export class Polygon {
          /** Sum the lengths of every side of the polygon. */
          perimeter(): number {
            return 0;
          }
        }

        /** Too short. */
        export function tiny(): void {}
        """,
    "src/shapes.test.ts": """
        /** Check the area of a circle from its radius. */
        export function checkArea(): void {}
        """,
    "geo/geo.go": """
        package geo

        // Distance returns the distance between two points on a plane.
        func Distance(a, b Point) float64 {
        \treturn 0
        }

        // Point is a place on a plane given by two coordinates.
        type Point struct {
        \tX, Y float64
        }
        """,
}


def test_doc_comments_become_queries_in_other_languages(tmp_path: Path) -> None:
    root = write(tmp_path, DOC_COMMENT_FIXTURE)
    functions = collect_doc_comments(root, cap=None)
    got = {(t.path, t.qualname): t.query for t in functions.targets}
    assert got == {
        ("src/shapes.ts", "circleArea"): "Compute the area of a circle from its radius",
        ("src/shapes.ts", "Polygon.perimeter"): "Sum the lengths of every side of the polygon",
        ("geo/geo.go", "Distance"): "Returns the distance between two points on a plane",
    }
    assert functions.skipped == {"first sentence under 4 words": 1}
    area = next(t for t in functions.targets if t.name == "circleArea")
    assert (area.line, area.doc_line, area.doc_end_line) == (6, 2, 5)
    types = {t.qualname for t in collect_doc_comments(root, cap=None, classes=True).targets}
    assert types == {"Polygon", "Point"}


@pytest.mark.parametrize(
    ("doc", "name", "language", "query"),
    [
        ("Parse a header.\n@param text the text", "parse", "typescript", "Parse a header"),
        ("Open opens the named file for reading", "Open", "go", "Opens the named file for reading"),
        ("Opens the file for reading", "Open", "go", "Opens the file for reading"),
    ],
)
def test_doc_query(doc: str, name: str, language: str, query: str) -> None:
    assert doc_query(doc, name, language) == query


def test_blanking_doc_comments_keeps_lines_and_hides_the_answers(tmp_path: Path) -> None:
    root = write(tmp_path / "corpus", DOC_COMMENT_FIXTURE)
    targets = collect_doc_comments(root, cap=None).targets
    copy = tmp_path / "copy"
    assert make_blanked_copy(root, copy, targets) == 2
    for rel in DOC_COMMENT_FIXTURE:
        before, after = (root / rel).read_text(), (copy / rel).read_text()
        assert len(after.splitlines()) == len(before.splitlines())
    shapes = (copy / "src/shapes.ts").read_text()
    assert "area of a circle" not in shapes and "@param" not in shapes
    assert "A closed shape made of straight sides." in shapes  # not a function target
    assert "distance between" not in (copy / "geo/geo.go").read_text()


# -- blanking -----------------------------------------------------------------------


def test_blanked_copy_keeps_lines_and_syntax_and_hides_the_answers(tmp_path: Path) -> None:
    root = write(tmp_path / "corpus", FIXTURE)
    targets = collect(root, cap=None).targets
    copy = tmp_path / "copy"
    assert make_blanked_copy(root, copy, targets) == 2
    for rel in FIXTURE:
        before = (root / rel).read_text()
        after = (copy / rel).read_text()
        assert len(after.splitlines()) == len(before.splitlines())
        defs = [
            (node.name, node.lineno, node.end_lineno)
            for node in ast.walk(ast.parse(before))
            if isinstance(node, ast.FunctionDef | ast.ClassDef)
        ]
        assert defs == [
            (node.name, node.lineno, node.end_lineno)
            for node in ast.walk(ast.parse(after))
            if isinstance(node, ast.FunctionDef | ast.ClassDef)
        ]
    for target in targets:
        text = (copy / target.path).read_text()
        assert target.query not in " ".join(text.split())
    # Docstrings that were not evaluated stay, including the ambiguous ones.
    storage = (copy / "pkg/storage.py").read_text()
    assert storage.count("Return the value we care about most.") == 2
    assert (copy / "tests/test_geometry.py").read_text() == (
        root / "tests/test_geometry.py"
    ).read_text()
    assert "A closed shape made of straight sides." in (copy / "pkg/geometry.py").read_text()


@pytest.mark.parametrize(
    "source",
    [
        'def f():\n    """One line."""  # a comment stays\n    return 1\n',
        "def f():\n    'single quotes'; x = 1\n    return x\n",
        'def f():\r\n    r"""Raw, over\r\n    two lines."""\r\n    return 1\r\n',
        'def f():\n    """Größe über\n    Zeilen: ünïcödé"""; y = "é"\n    return y\n',
        'def f():\n    ("implicitly"\n     " concatenated")\n    return 1\n',
    ],
)
def test_blanking_odd_literals(source: str) -> None:
    data = source.encode()
    tree = ast.parse(data)
    func = tree.body[0]
    assert isinstance(func, ast.FunctionDef)
    doc = func.body[0]
    assert isinstance(doc, ast.Expr)
    target = Target(
        path="m.py",
        qualname="f",
        name="f",
        kind="function",
        line=func.lineno,
        end_line=func.end_lineno or func.lineno,
        doc_line=doc.value.lineno,
        doc_col=doc.value.col_offset,
        doc_end_line=doc.value.end_lineno or 0,
        doc_end_col=doc.value.end_col_offset or 0,
        query="",
    )
    blanked = blank_docstrings(data, [target])
    check_blanked("m.py", data, blanked, [target])
    assert blanked.count(b"\n") == data.count(b"\n")
    assert blanked.splitlines()[-1] == data.splitlines()[-1]
    new_func = ast.parse(blanked).body[0]
    assert isinstance(new_func, ast.FunctionDef)
    assert ast.get_docstring(new_func) == ""
    # Whatever followed the literal on its last line is still there.
    last_doc_line = data.splitlines()[target.doc_end_line - 1]
    tail = last_doc_line[target.doc_end_col :]
    assert blanked.splitlines()[target.doc_end_line - 1].endswith(tail)


# -- metrics --------------------------------------------------------------------------


def hit(path: str, symbol_id: str, kind: str = "function", symbol: str = "") -> SearchHit:
    return SearchHit(
        path=path,
        start_line=0,
        end_line=1,
        symbol=symbol or symbol_id.partition("#")[2],
        symbol_id=symbol_id,
        kind=kind,
        language="python",
        snippet="",
        score=0.0,
    )


def test_metrics_on_hand_made_ranks() -> None:
    got = metrics([1, 3, None, 10, 11])
    assert got["queries"] == 5
    assert got["recall@1"] == pytest.approx(1 / 5)
    assert got["recall@5"] == pytest.approx(2 / 5)
    assert got["recall@10"] == pytest.approx(3 / 5)
    assert got["mrr@10"] == pytest.approx((1 + 1 / 3 + 1 / 10) / 5)
    assert metrics([2, 2])["mrr@10"] == pytest.approx(0.5)
    empty = metrics([])
    assert empty["queries"] == 0 and empty["recall@1"] != empty["recall@1"]  # NaN


def test_rank_is_the_first_chunk_of_the_target() -> None:
    hits = [
        hit("a.py", "a.py#other"),
        hit("a.py", "a.py#Big.method"),  # a long function's second chunk, say
        hit("a.py", "a.py#Big.method"),
    ]
    assert rank_of(hits, "a.py#Big.method") == 2
    assert rank_of(hits, "a.py#Big.method@2") is None  # a same-named redefinition
    assert rank_of([], "a.py#x") is None


def span(path: str, start: int, end: int, kind: str = "function") -> SearchHit:
    return msgspec.structs.replace(hit(path, f"{path}#x", kind), start_line=start, end_line=end)


def test_lenient_scoring_takes_any_hit_over_the_def_line_strict_one_inside() -> None:
    method = query_for("a.py", "C.run").target  # `def` on line 1, ends on line 3 (1-based)
    outline = span("a.py", 0, 9, "class")  # holds the method's stub, ends after it
    inside = span("a.py", 0, 2)
    assert range_rank([outline, inside], method, strict=False) == 1
    assert range_rank([outline, inside], method, strict=True) == 2
    assert range_rank([span("b.py", 0, 2), span("a.py", 1, 2)], method, strict=False) is None


def query_for(path: str, qualname: str, reachable: bool | None = True) -> Query:
    target = Target(
        path=path,
        qualname=qualname,
        name=qualname.rpartition(".")[2],
        kind="method",
        line=1,
        end_line=3,
        doc_line=2,
        doc_col=4,
        doc_end_line=2,
        doc_end_col=10,
        query="Do the thing well",
    )
    parent = qualname.rpartition(".")[0]
    return Query(target, f"{path}#{qualname}", f"{path}#{parent}", reachable=reachable)


@pytest.mark.parametrize(
    ("reachable", "hits", "category"),
    [
        (False, [hit("pkg/a.py", "pkg/a.py#C", "class")], "no shared terms"),
        (True, [hit("pkg/b.py", "pkg/b.py#x"), hit("pkg/a.py", "pkg/a.py#C", "class")],
         "class outline instead"),
        (True, [hit("pkg/b.py", "pkg/b.py#x"), hit("pkg/a.py", "pkg/a.py#C.other")],
         "same file, other code"),
        (True, [hit("pkg/b.py", "pkg/b.py#D.run")], "same name elsewhere"),
        (True, [hit("tests/test_a.py", "tests/test_a.py#t"), hit("pkg/b.py", "pkg/b.py#y")],
         "tests or examples instead"),
        (True, [hit("pkg/b.py", "pkg/b.py#y"), hit("tests/test_a.py", "tests/test_a.py#t")],
         "other library code instead"),
        (None, [], "other library code instead"),
    ],
)  # fmt: skip
def test_classify_miss(reachable: bool | None, hits: list[SearchHit], category: str) -> None:
    assert classify_miss(query_for("pkg/a.py", "C.run", reachable), hits) == category


def test_depth_buckets() -> None:
    assert [depth_bucket(r) for r in (None, 11, 20, 21, 100, 3)] == [
        "beyond 100", "11-20", "11-20", "21-50", "51-100", "1-10 with more candidates",
    ]  # fmt: skip


# -- end to end -----------------------------------------------------------------------


@pytest.mark.slow
def test_text_mode_end_to_end(tmp_path: Path) -> None:
    root = write(tmp_path / "corpus", FIXTURE)
    result, queries = evaluate(root, tmp_path / "work", ["text"], settings=IN_PROCESS)
    functions = result["functions"]
    assert functions["evalset"]["queries"] == len(EXPECTED_QUERIES)
    assert functions["evalset"]["dropped_after_index"] == {}
    assert {q.symbol_id for q in queries["functions"]} == {
        f"{path}#{qualname}" for path, qualname in EXPECTED_QUERIES
    }
    assert [q.symbol_id for q in queries["classes"]] == ["pkg/geometry.py#Polygon"]
    assert result["classes"]["modes"]["text"]["strict"]["queries"] == 1
    text = functions["modes"]["text"]
    # Every query shares its content words with the target's name or body.
    assert text["recall@10"] == 1.0
    assert text["mrr@10"] >= 0.5
    assert not (root / ".kenning").exists()  # the corpus itself is never indexed


@pytest.mark.slow
def test_every_mode_end_to_end_with_the_real_model(tmp_path: Path) -> None:
    root = write(tmp_path / "corpus", FIXTURE)
    settings = msgspec.structs.replace(IN_PROCESS, embedding=EmbeddingSettings(optimize=False))
    result, _ = evaluate(root, tmp_path / "work", ["text", "vector", "hybrid"], settings=settings)
    for mode in ("text", "vector", "hybrid"):
        figures = result["functions"]["modes"][mode]
        assert figures["queries"] == len(EXPECTED_QUERIES)
        assert 0.0 < figures["mrr@10"] <= figures["recall@10"] <= 1.0
    # The vectors were all there: the vector ranker saw every chunk.
    assert result["functions"]["modes"]["vector"]["recall@10"] >= 0.5
