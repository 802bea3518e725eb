"""The fusion fit's replay of search: grouping, scoring and ranking over captured
candidates, the fitting loop, and (slow) that the replay ranks exactly as the real
search does on a small corpus indexed and embedded by the real engine.

As in `test_retrieval_eval.py`, the repository root is put on the path here so that
the `bench` package is importable.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.evalset import collect, make_blanked_copy
from bench.fusion_fit import (
    SHIPPED,
    Training,
    build,
    capture_engine,
    coordinate_ascent,
    main,
    mrr,
    ranks,
    top_hits,
)
from bench.retrieval import LIMIT, range_rank, resolve

from helpers import IN_PROCESS, Workspace
from kenning.core.settings import EmbeddingSettings
from kenning.engine import Engine


def candidate(
    symbol: str,
    lines: tuple[int, int],
    scores: dict[str, float],
    kind: str = "function",
    path: str = "pkg/a.py",
    span: tuple[int, int] | None = None,
    chunk: str = "",
) -> dict[str, Any]:
    """A captured candidate chunk: each ranker's raw score, its rank taken from the
    order the test lists candidates in (enough for these cases)."""
    return {
        "id": f"{path}#{symbol}{chunk}",
        "symbol_id": f"{path}#{symbol}",
        "kind": kind,
        "path": path,
        "start_line": lines[0],
        "end_line": lines[1],
        "text_hash": symbol,
        "desc_hash": "",
        "scores": {r: [s, 0] for r, s in scores.items()},
        "name_match": 0.0,
        "span": span or lines,
    }


def query(target: tuple[int, int], candidates: list[dict[str, Any]], text: str = "parse it"):
    # Captured lines are 1-based like the evaluation set's; candidates' 0-based.
    return {"query": text, "path": "pkg/a.py", "line": target[0] + 1, "end_line": target[1] + 1,
            "symbol_id": "", "candidates": candidates}  # fmt: skip


# Search's fusion with plain weights, so that the arithmetic in these tests does not
# move with the shipped constants (the slow test below replays those).
PLAIN = dict.fromkeys(("text", "symbol", "vector", "describe", "name_match"), 1.0)
PLAIN["test_factor"] = 0.5


def one_corpus(*queries: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {"pkg": {"functions": list(queries), "classes": []}}


def test_the_replay_ranks_by_the_weighted_sum_of_normalised_scores() -> None:
    # `parse` leads BM25, `load` the vectors: with equal weights the one with more of
    # both wins; weighing one ranker up moves the other down.
    cands = [
        candidate("parse", (0, 4), {"text": 9.0, "vector": 0.50}),
        candidate("load", (6, 9), {"text": 4.0, "vector": 0.80}),
        candidate("dump", (11, 14), {"text": 1.0, "vector": 0.40}),
    ]
    batch = build(one_corpus(query((6, 9), cands)), "functions")
    # parse: 1 + 0.25 = 1.25; load: 0.375 + 1 = 1.375; dump: 0.
    assert ranks(batch, PLAIN)["strict"].tolist() == [1]
    assert ranks(batch, {**PLAIN, "text": 3.0})["strict"].tolist() == [2]


def test_a_symbol_scores_its_best_chunk_and_counts_once() -> None:
    # `long` has two chunks; the better one counts, and the weaker chunk does not push
    # `short` down a place.
    cands = [
        candidate("long", (0, 40), {"text": 9.0}, span=(0, 80), chunk=":1"),
        candidate("long", (41, 80), {"text": 2.0}, span=(0, 80), chunk=":2"),
        candidate("short", (90, 95), {"text": 5.0}),
        candidate("other", (100, 105), {"text": 1.0}),
    ]
    batch = build(one_corpus(query((90, 95), cands)), "functions")
    assert ranks(batch, PLAIN)["strict"].tolist() == [2]


def test_an_outline_counts_for_its_method_only_when_lenient() -> None:
    cands = [
        candidate("Box", (0, 20), {"text": 9.0}, kind="class"),
        candidate("Box.open", (5, 9), {"text": 3.0}, kind="method"),
        candidate("other", (30, 35), {"text": 1.0}),
    ]
    batch = build(one_corpus(query((5, 9), cands)), "functions")
    got = ranks(batch, PLAIN)
    assert got["lenient"].tolist() == [1]
    assert got["strict"].tolist() == [2]


def test_test_code_is_demoted_as_search_does() -> None:
    cands = [
        candidate("test_parse", (0, 4), {"text": 9.0}, path="tests/test_a.py"),
        candidate("parse", (0, 4), {"text": 6.0}),
        candidate("other", (10, 12), {"text": 1.0}),
    ]
    batch = build(one_corpus(query((0, 4), cands)), "functions")
    assert ranks(batch, PLAIN)["strict"].tolist() == [1]
    assert ranks(batch, {**PLAIN, "test_factor": 1.0})["strict"].tolist() == [2]


def test_a_target_that_is_no_candidate_has_no_rank() -> None:
    cands = [candidate("parse", (0, 4), {"text": 9.0})]
    batch = build(one_corpus(query((50, 60), cands), query((0, 4), cands)), "functions")
    assert ranks(batch, PLAIN)["strict"].tolist() == [0, 1]
    assert mrr(ranks(batch, PLAIN)["strict"]) == 0.5


def test_coordinate_ascent_finds_the_ranker_that_knows_the_answer() -> None:
    # In every query the vectors put the target first and BM25 puts it last.
    queries = []
    for i in range(4):
        base = 100 * i
        queries.append(
            query(
                (base, base + 4),
                [
                    candidate(f"right{i}", (base, base + 4), {"text": 1.0, "vector": 0.9}),
                    candidate(f"wrong{i}", (base + 10, base + 14), {"text": 8.0, "vector": 0.2}),
                    candidate(f"third{i}", (base + 20, base + 24), {"text": 7.0, "vector": 0.1}),
                ],
            )
        )
    corpus = one_corpus(*queries)
    training = Training(build(corpus, "functions"), build(corpus, "classes"))
    assert training.objective(PLAIN) < 1.0
    fitted = coordinate_ascent(training, PLAIN, {"text": (0.0, 1.0), "vector": (1.0, 2.0)})
    assert training.objective(fitted) == 1.0
    assert fitted["text"] < fitted["vector"]


def test_fitting_refuses_the_held_out_corpora() -> None:
    with pytest.raises(SystemExit, match="tuning corpora only"):
        main(["fit", "requests", "jinja2"])


# -- end to end ---------------------------------------------------------------------

CORPUS = {
    "pkg/__init__.py": "",
    "pkg/shapes.py": '''
        """Shapes and their measurements."""


        def circle_area(radius):
            """Compute the area of a circle from its radius."""
            return 3.14159 * radius * radius


        def rectangle_perimeter(width, height):
            """Compute the perimeter of a rectangle from its sides."""
            return 2 * (width + height)


        class Polygon:
            """A closed shape made of straight sides."""

            def scale_vertices(self, factor):
                """Multiply every vertex coordinate of the polygon by a factor."""
                return Polygon()

            def vertex_count(self):
                """Count the corners this polygon has."""
                return 0
    ''',
    "pkg/storage.py": '''
        import json


        def load_settings(path):
            """Read the settings file from disk and parse its JSON content."""
            with open(path) as handle:
                return json.load(handle)


        def save_settings(path, values):
            """Write the settings back to disk as JSON text."""
            with open(path, "w") as handle:
                json.dump(values, handle)
    ''',
    "tests/test_shapes.py": '''
        def test_circle_area():
            """Check the area of a circle computed from its radius."""
    ''',
}


@pytest.mark.slow
def test_the_replay_ranks_as_search_does(tmp_path: Path) -> None:
    """With search's own constants, the replay over captured candidates returns every
    query's top ten as the real hybrid search does: the same hits, in the same order,
    with the same scores; and so the same rank for each target under both scorings."""
    root = tmp_path / "corpus"
    Workspace(root).write(CORPUS)
    targets = collect(root, cap=None).targets + collect(root, cap=None, classes=True).targets
    work = tmp_path / "work"
    make_blanked_copy(root, work, targets)
    settings = msgspec.structs.replace(IN_PROCESS, embedding=EmbeddingSettings(optimize=False))
    with Engine.open(work, settings, rebuild=True) as engine:
        engine.index()
        engine.embed()
        found, _ = resolve(engine, targets)
        assert len(found) >= 6
        captured = {
            "corpus": {
                "functions": [],
                "classes": [],
                **capture_engine(engine, {"functions": found}),
            }
        }
        results = [engine.search(q.target.query, limit=LIMIT).hits for q in found]
    batch = build(captured, "functions")
    for i, hits in enumerate(results):
        replayed = top_hits(batch, SHIPPED, i, LIMIT)
        assert [h[:3] for h in replayed] == [(h.path, h.start_line, h.end_line) for h in hits]
        assert [h[3] for h in replayed] == pytest.approx([h.score for h in hits], abs=1e-5)
    got = ranks(batch, SHIPPED)
    for scoring in ("lenient", "strict"):
        want = [
            range_rank(hits, q.target, scoring == "strict") or 0
            for hits, q in zip(results, found, strict=True)
        ]
        assert [r if r <= LIMIT else 0 for r in got[scoring].tolist()] == want
