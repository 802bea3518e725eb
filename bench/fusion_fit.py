"""Fit search's fusion on the tuning corpora instead of choosing it by hand.

Run by hand, never by the test suite (which checks its logic on a small fixture):

``python -m bench.fusion_fit capture requests flask click``
    indexes each corpus's blanked copy as ``bench/retrieval.py`` does (same evaluation
    sets and seed, the bench's vector cache), runs every ranker of a hybrid search once
    per query (the shipped `Ranking`'s candidate lists) and keeps, for every candidate
    chunk, what search knows about it (each ranker's raw score and rank, the name match,
    kind, lines, path, symbol span) and a few signals search does not compute today
    (``PROBES``). One JSON file per corpus under ``bench/.cache/fusion/``; a ranking
    variant then costs no search at all.
``python -m bench.fusion_fit replay requests flask click``
    replays search's fusion over the captured candidates (`ranks`) with the shipped
    constants: it must give the bench's own hybrid figures, query for query.
``python -m bench.fusion_fit fit requests flask click --model weights``
    fits a model's constants by coordinate ascent on MRR@10 (lenient and strict
    averaged; function and class queries each weighing one, class queries times
    ``--class-weight``): leave one corpus out first (fit on the others, score the one
    left out: how a fit generalises), then on all named corpora.
``python -m bench.fusion_fit pairs requests flask click [--fill]``
    the same for a pairwise logistic regression (a linear model over every feature,
    trained on relevant-versus-other pairs, L2-regularised).
``python -m bench.fusion_fit sweep requests flask click --features bm25_file``
    the shipped fusion plus one feature at a few weights.
``python -m bench.fusion_fit siblings requests flask click``
    where a hit of the target's own file ranks above it, which features favour the
    target and which the sibling.

Nothing is fitted on or chosen with the held-out corpora: ``fit``, ``pairs``,
``sweep`` and ``siblings`` refuse them; ``replay`` and ``score`` report any captured corpus.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench import corpora as corpora_mod
from bench import retrieval
from bench.evalset import collect, collect_doc_comments, make_blanked_copy
from kenning.core.words import identifier_words
from kenning.engine import Engine
from kenning.query import search as search_mod
from kenning.query.search import (
    DEFAULT_RANKING,
    OUTLINE_KINDS,
    STOP,
    is_test_path,
    names_a_thing,
    words_match,
)
from kenning.storage.chunks import split_query

CACHE = corpora_mod.CACHE_DIR / "fusion"
RANKERS = ("text", "symbol", "vector", "describe")
ROW_KEYS = ("id", "symbol_id", "kind", "path", "start_line", "end_line", "text_hash", "desc_hash")
# Signals search does not compute today, captured to see whether any is worth adding:
# each candidate's similarity to the query with its file's mean chunk vector taken out
# (what sets it apart from its siblings), the same with the whole corpus's mean; the
# words of its callers' names against the query's; BM25 of its code with IDF over its own
# file's chunks (the words that tell siblings apart) and over the query's candidates.
PROBES = ("cen_file", "cen_global", "caller_match", "caller_cover", "bm25_file", "bm25_cands")


# ---------------------------------------------------------------------------- capture


@dataclass
class Corpus:
    """What the probes need of the whole index, read once: each chunk's words (for
    BM25 with local IDF), each file's mean chunk vector, and who calls whom."""

    words: dict[str, Counter[str]]  # chunk id -> its code's word counts
    file_chunks: dict[str, list[str]]  # path -> chunk ids
    file_df: dict[str, Counter[str]]
    file_mean: dict[str, np.ndarray]
    mean: np.ndarray
    vectors: dict[str, np.ndarray]  # text hash -> unit vector
    callers: dict[str, set[str]]  # symbol id -> its callers' symbol ids


def read_corpus(engine: Engine, model_id: str) -> Corpus:
    rows = engine.chunks.by_hashes(sorted(engine.chunks.all_hashes()))
    vectors = engine.vectors.vectors_of(model_id, sorted({r["text_hash"] for r in rows}))
    words = {r["id"]: Counter(_terms(r["code"] or "")) for r in rows}
    file_chunks: dict[str, list[str]] = {}
    by_file: dict[str, list[np.ndarray]] = {}
    for r in rows:
        file_chunks.setdefault(r["path"], []).append(r["id"])
        if r["text_hash"] in vectors:
            by_file.setdefault(r["path"], []).append(vectors[r["text_hash"]])
    ids = sorted({r["symbol_id"] for r in rows if r["kind"] != "module"})
    callers: dict[str, set[str]] = {}
    for i in range(0, len(ids), 500):
        for edge in engine.graph.call_edges(ids[i : i + 500], incoming=True):
            if edge.resolution != "candidate":  # a name a call could mean is no caller
                callers.setdefault(edge.callee, set()).add(edge.caller)
    return Corpus(
        words=words,
        file_chunks=file_chunks,
        file_df={p: Counter(t for i in c for t in words[i]) for p, c in file_chunks.items()},
        file_mean={p: np.mean(v, axis=0) for p, v in by_file.items()},
        mean=np.mean(list(vectors.values()), axis=0) if vectors else np.zeros(1),
        vectors=vectors,
        callers=callers,
    )


_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_SUFFIXES = ("ing", "ed", "es", "s")
BM25_K1, BM25_B = 1.2, 0.75


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _terms(text: str) -> list[str]:
    return [_stem(w) for t in _TOKEN.findall(text) for w in identifier_words(t) if len(w) > 1]


def _bm25(query: Sequence[str], tf: Counter[str], df: Counter[str], n: int, avg: float) -> float:
    length = sum(tf.values())
    score = 0.0
    for term in query:
        f = tf.get(term, 0)
        if f:
            idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
            score += idf * f * (BM25_K1 + 1) / (f + BM25_K1 * (1 - BM25_B + BM25_B * length / avg))
    return score


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 1e-9 else v


def _local(symbol_id: str) -> str:
    """A symbol id's last name part (`a.py#Cls.meth@2` -> meth)."""
    return symbol_id.partition("#")[2].partition("@")[0].rpartition(".")[2]


def capture_query(
    engine: Engine, semantic: Any, corpus: Corpus, query: retrieval.Query
) -> dict[str, Any]:
    """Every ranker's candidates for one query, and what is known of each."""
    text = query.target.query
    want = max(retrieval.LIMIT * search_mod.OVERFETCH, DEFAULT_RANKING.candidates)
    chunks, graph = engine.chunks, engine.graph
    text_query = split_query(text)
    lists = {
        "text": [(r, r["_score"]) for r in chunks.search_text(text_query, want, None, "words")],
        "symbol": [(r, r["_score"]) for r in chunks.search_text(text_query, want, None, "terms")],
    }
    lists["vector"], lists["describe"] = search_mod._vector_matches(
        semantic, chunks, text, want, None
    )
    rows: dict[str, dict[str, Any]] = {}
    scores: dict[str, dict[str, list[float]]] = {}
    for ranker in RANKERS:  # search's fusion order: a candidate joins where first found
        for rank, (row, score) in enumerate(lists[ranker]):
            rows.setdefault(row["id"], row)
            scores.setdefault(row["id"], {})[ranker] = [float(score), rank]
    # The name match as search computes it: with weight 1 the score is the share.
    fused = {cid: search_mod._Candidate(row) for cid, row in rows.items()}
    verbs = search_mod.leading_verb_names(text) if DEFAULT_RANKING.verb_match else frozenset()
    search_mod._name_match(fused, text, 1.0, verbs)
    ids = sorted({r["symbol_id"] for r in rows.values() if r["kind"] != "module"})
    spans = {s.id: (s.span.start_line, s.span.end_line) for s in graph.symbols_by_ids(ids)}
    unit_query = _unit(np.asarray(semantic.embed_query(text), dtype=np.float64))
    probes = [w for w in dict.fromkeys(identifier_words(text)) if w not in STOP]
    stems = [_stem(w) for w in probes if len(w) > 1]
    cand_df = Counter(t for cid in rows for t in corpus.words.get(cid, ()))
    cand_avg = sum(sum(corpus.words.get(c, Counter()).values()) for c in rows) / len(rows) or 1.0
    candidates = []
    for cid, row in rows.items():
        out = {k: row[k] for k in ROW_KEYS}
        out["scores"] = scores[cid]
        out["name_match"] = fused[cid].score
        out["span"] = spans.get(row["symbol_id"])
        vector = corpus.vectors.get(row["text_hash"])
        if vector is not None:
            apart = vector - corpus.file_mean.get(row["path"], corpus.mean)
            out["cen_file"] = float(unit_query @ _unit(apart))
            out["cen_global"] = float(_unit(unit_query - corpus.mean) @ _unit(vector - corpus.mean))
        out["caller_match"], out["caller_cover"] = _callers(corpus, row["symbol_id"], probes)
        path, tf = row["path"], corpus.words.get(cid, Counter())
        siblings = corpus.file_chunks.get(path, [cid])
        avg = sum(sum(corpus.words[c].values()) for c in siblings) / len(siblings) or 1.0
        out["bm25_file"] = _bm25(stems, tf, corpus.file_df.get(path, Counter()), len(siblings), avg)
        out["bm25_cands"] = _bm25(stems, tf, cand_df, len(rows), cand_avg)
        candidates.append(out)
    t = query.target
    return {
        "query": text,
        "path": t.path,
        "line": t.line,
        "end_line": t.end_line,
        "symbol_id": query.symbol_id,
        "candidates": candidates,
    }


def _callers(corpus: Corpus, symbol_id: str, probes: Sequence[str]) -> tuple[float, float]:
    """(the best share of one caller's name words that the query's words match, the
    share of the query's words that its callers' names match beyond its own name)."""
    own = set(identifier_words(_local(symbol_id)))
    best, covered = 0.0, set()
    for caller in corpus.callers.get(symbol_id, ()):
        words = identifier_words(_local(caller))
        if not words:
            continue
        hit = [w for w in words if any(words_match(w, p) for p in probes)]
        best = max(best, len(hit) / len(words))
        covered |= {p for p in probes for w in words if w not in own and words_match(w, p)}
    return best, (len(covered) / len(probes) if probes else 0.0)


def capture_engine(engine: Engine, sets: dict[str, list[retrieval.Query]]) -> dict[str, Any]:
    """Capture the resolved queries of each set over an indexed, embedded engine."""
    semantic = engine.semantic()
    if semantic is None:
        raise RuntimeError("no vectors: embed the index first")
    corpus = read_corpus(engine, semantic.model_id)
    return {
        name: [capture_query(engine, semantic, corpus, q) for q in queries]
        for name, queries in sets.items()
    }


def capture(key: str, version: str, root: Path, doc_comments: bool, vector_cache: Path) -> Path:
    """Capture one corpus's function and class queries into ``CACHE/<key>-<version>.json``."""
    collector = collect_doc_comments if doc_comments else collect
    evalsets = {
        "functions": collector(root, cap=300, seed=0),
        "classes": collector(root, cap=100, seed=0, classes=True),
    }
    work = CACHE / "work" / f"{key}-{version}"
    make_blanked_copy(root, work, [t for s in evalsets.values() for t in s.targets])
    with Engine.open(work, None, rebuild=True) as engine:
        engine.index()
        retrieval.embed(engine, vector_cache)
        sets = {name: retrieval.resolve(engine, s.targets)[0] for name, s in evalsets.items()}
        out = {"corpus": key, "version": version, **capture_engine(engine, sets)}
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{key}-{version}.json"
    path.write_text(json.dumps(out))
    return path


# --------------------------------------------------------------------------- features


@dataclass
class Batch:
    """Captured queries as flat arrays for `ranks`: one row per candidate chunk, ordered
    by query and then by group (a group is what becomes one hit: a symbol, a name within
    a file, or one module-level chunk)."""

    names: list[str]  # corpus names
    corpus: np.ndarray  # per query: index into `names`
    n_queries: int
    feat: dict[str, np.ndarray]  # per chunk
    file_key: np.ndarray  # per chunk: a (query, path) index
    group_starts: np.ndarray  # per group: its first chunk row
    group_query: np.ndarray
    group_tie: np.ndarray  # order of (path, line) within its query: ties break on it
    group_relevant: dict[str, np.ndarray]  # scoring -> bool per group
    group_span: list[tuple[str, int, int]]  # per group: the hit's path and line range


def _minmax(values: dict[int, float]) -> dict[int, float]:
    """Search's normalisation: a list's best is 1 and its last 0."""
    if not values:
        return {}
    high, low = max(values.values()), min(values.values())
    return {i: (v - low) / (high - low) if high > low else 1.0 for i, v in values.items()}


def build(corpora: dict[str, dict[str, Any]], query_set: str) -> Batch:
    """Flatten the captured queries of `corpora` (name -> capture) for `ranks`."""
    cols: dict[str, list[float]] = {}
    file_of: list[int] = []
    group_of: list[int] = []
    g_query: list[int] = []
    g_tie: list[int] = []
    g_span: list[tuple[str, int, int]] = []
    relevant: dict[str, list[bool]] = {"lenient": [], "strict": []}
    corpus_of: list[int] = []
    n_groups = n_files = 0
    for ci, name in enumerate(corpora):
        for q in corpora[name][query_set]:
            qi = len(corpus_of)
            corpus_of.append(ci)
            cands = q["candidates"]
            if not cands:
                continue
            feats = query_features(q["query"], cands)
            groups, spans = _groups(cands)
            tie = {g: i for i, g in enumerate(sorted(range(len(groups)), key=spans.__getitem__))}
            line, end = q["line"] - 1, q["end_line"] - 1
            files: dict[str, int] = {}
            for g, members in enumerate(groups):
                path, start, stop = spans[g]
                inside = path == q["path"] and start <= line <= stop
                g_query.append(qi)
                g_tie.append(tie[g])
                g_span.append(spans[g])
                relevant["lenient"].append(inside)
                relevant["strict"].append(inside and stop <= end)
                for i in members:
                    group_of.append(n_groups + g)
                    file_of.append(files.setdefault(cands[i]["path"], n_files + len(files)))
                    for k, v in feats[i].items():
                        cols.setdefault(k, []).append(v)
            n_groups += len(groups)
            n_files += len(files)
    group = np.array(group_of, dtype=np.int64)
    return Batch(
        names=list(corpora),
        corpus=np.array(corpus_of, dtype=np.int64),
        n_queries=len(corpus_of),
        feat={k: np.array(v, dtype=np.float64) for k, v in cols.items()},
        file_key=np.array(file_of, dtype=np.int64),
        group_starts=np.flatnonzero(np.r_[True, group[1:] != group[:-1]]),
        group_query=np.array(g_query, dtype=np.int64),
        group_tie=np.array(g_tie, dtype=np.int64),
        group_relevant={k: np.array(v, dtype=bool) for k, v in relevant.items()},
        group_span=g_span,
    )


# What each feature is (`query_features`); a model is a weight per feature name.
FEATURES = {
    "<ranker>": "its min-max normalised score (as search fuses), 0 if the ranker missed it",
    "<ranker>_rr": "1 / (1 + its rank in the ranker's list)",
    "<ranker>_in": "1 if the ranker returned it",
    "<ranker>_z": "its score above the list's last, in standard deviations of the list",
    "name_match": "the share of its name's words the query spells (search's name match)",
    "agree": "min(best lexical, best semantic) normalised score: found by both kinds",
    "test, thing_outline, action_outline, module, method, private": "flags",
    "log_lines": "log(1 + its lines)",
    "<ranker>_x_code, <ranker>_x_long": "the ranker's score for a query naming code, or long",
    "<probe>": "a probe (PROBES), min-max normalised over the query's candidates",
}


def query_features(query: str, cands: list[dict[str, Any]]) -> list[dict[str, float]]:
    """Every candidate's features (``FEATURES``) for one query."""
    thing = names_a_thing(query)
    about_tests = any(w.startswith("test") for w in identifier_words(query))
    words = query.split()
    # The query's form: does it name code (a quoted or dotted name, `_`, a call, a case
    # change), and is it long?
    coded = any(
        "_" in w.strip("`.,:;()") or "`" in w or "(" in w or w[1:] != w[1:].lower() for w in words
    )
    long_query = len(words) >= 12
    norm, z = {}, {}
    for ranker in RANKERS:
        raw = {i: c["scores"][ranker][0] for i, c in enumerate(cands) if ranker in c["scores"]}
        norm[ranker] = _minmax(raw)
        if len(raw) > 1:
            sd = float(np.std(list(raw.values()))) or 1.0
            low = min(raw.values())
            z[ranker] = {i: (v - low) / sd for i, v in raw.items()}
    probes = {
        p: _minmax({i: c[p] for i, c in enumerate(cands) if c.get(p) is not None}) for p in PROBES
    }
    out = []
    for i, c in enumerate(cands):
        f: dict[str, float] = {}
        for ranker in RANKERS:
            rank = c["scores"].get(ranker, [0.0, None])[1]
            f[ranker] = norm[ranker].get(i, 0.0)
            f[f"{ranker}_rr"] = 1.0 / (1 + rank) if rank is not None else 0.0
            f[f"{ranker}_in"] = 1.0 if rank is not None else 0.0
            f[f"{ranker}_z"] = z.get(ranker, {}).get(i, 0.0)
        f["name_match"] = c["name_match"]
        for base in (*RANKERS, "name_match"):
            f[f"{base}_x_code"] = f[base] if coded else 0.0
            f[f"{base}_x_long"] = f[base] if long_query else 0.0
        f["agree"] = min(max(f["text"], f["symbol"]), max(f["vector"], f["describe"]))
        outline = c["kind"] in OUTLINE_KINDS
        f["test"] = 1.0 if is_test_path(c["path"]) and not about_tests else 0.0
        f["thing_outline"] = 1.0 if outline and thing else 0.0
        f["action_outline"] = 1.0 if outline and not thing else 0.0
        f["module"] = 1.0 if c["kind"] == "module" else 0.0
        f["method"] = 1.0 if c["kind"] == "method" else 0.0
        f["private"] = 1.0 if _local(c["symbol_id"]).startswith("_") else 0.0
        f["log_lines"] = math.log1p(int(c["end_line"]) - int(c["start_line"]))
        for p in PROBES:
            f[p] = probes[p].get(i, 0.0)
        out.append(f)
    return out


def _groups(cands: list[dict[str, Any]]) -> tuple[list[list[int]], list[tuple[str, int, int]]]:
    """Search's grouping (`search._group` with `group_names`) over the candidates in
    fusion order: which chunks become one hit, and each hit's path and line range (the
    symbol's whole span, but for an outline of one chunk, and module code). Which chunk
    shows a group depends on lengths, not scores, except between chunks of one symbol,
    whose hit is the symbol's span either way: so a hit's range does not depend on the
    weights, and is computed once."""
    key_of: dict[str, int] = {}
    groups: list[list[int]] = []
    shown: list[int] = []
    for i, c in enumerate(cands):
        key = c["symbol_id"].partition("@")[0]
        g = None if c["kind"] == "module" else key_of.get(key)
        if g is None:
            if c["kind"] != "module":
                key_of[key] = len(groups)
            groups.append([i])
            shown.append(i)
            continue
        held = cands[shown[g]]
        if held["symbol_id"] != c["symbol_id"] and _length(c) > _length(held):
            shown[g] = i
        groups[g].append(i)
    spans = []
    for g, members in enumerate(groups):
        c = cands[shown[g]]
        whole = c["kind"] != "module" and (len(members) > 1 or c["kind"] not in OUTLINE_KINDS)
        if whole and c["span"] is not None:
            spans.append((c["path"], c["span"][0], c["span"][1]))
        else:
            spans.append((c["path"], c["start_line"], c["end_line"]))
    return groups, spans


def _length(c: dict[str, Any]) -> int:
    return int(c["end_line"]) - int(c["start_line"])


# ------------------------------------------------------------------------- the replay

# A model: feature name -> weight (a weighted sum), plus the factors below and
# `sibling`. `SHIPPED` is search as it is (`DEFAULT_RANKING`).
Params = dict[str, float]
SHIPPED: Params = {
    "text": DEFAULT_RANKING.text_weight,
    "symbol": DEFAULT_RANKING.name_weight,
    "vector": DEFAULT_RANKING.vector_weight,
    "describe": DEFAULT_RANKING.describe_weight,
    "name_match": DEFAULT_RANKING.name_match_weight,
    "test_factor": DEFAULT_RANKING.test_factor,
    "thing_factor": DEFAULT_RANKING.thing_outline_factor,
}
# Search's constants before they were fitted (sixth round of issue 16), the baseline
# every fit in bench/README.md's seventh round started from (``--baseline round-6``).
ROUND_6: Params = {**SHIPPED, "text": 1.0, "vector": 1.0, "test_factor": 0.5, "thing_factor": 1.25}
# Factors multiply the weighted sum of the chunks their flag marks, as search's do.
FACTORS = {
    "test_factor": "test",
    "thing_factor": "thing_outline",
    "action_factor": "action_outline",
}


def scores(batch: Batch, params: Params) -> np.ndarray:
    """Each chunk's score: the weighted sum of its features, times the factors; then,
    with `sibling`, plus `sibling` times its distance below its file's best candidate
    (a lead over siblings counts more than the same score elsewhere)."""
    total = np.zeros(len(batch.file_key))
    for name, w in params.items():
        if w and name in batch.feat:
            total += w * batch.feat[name]
    for name, flag in FACTORS.items():
        factor = params.get(name, 1.0)
        if factor != 1.0:
            total = np.where(batch.feat[flag] > 0, total * factor, total)
    lead = params.get("sibling", 0.0)
    if lead and len(total):
        best = np.full(int(batch.file_key.max()) + 1, -np.inf)
        np.maximum.at(best, batch.file_key, total)
        total = total + lead * (total - best[batch.file_key])
    return total


def ranks(batch: Batch, params: Params) -> dict[str, np.ndarray]:
    """Per scoring, each query's 1-based rank of its first relevant hit (0: none): a
    group scores its best chunk, and ties go to the earlier path and line, as in search."""
    chunk = scores(batch, params)
    out = {s: np.zeros(batch.n_queries, dtype=np.int64) for s in batch.group_relevant}
    if not len(chunk):
        return out
    group_score = np.maximum.reduceat(chunk, batch.group_starts)
    order = np.lexsort((batch.group_tie, -group_score, batch.group_query))
    gq = batch.group_query[order]
    first = np.flatnonzero(np.r_[True, gq[1:] != gq[:-1]])
    pos = np.arange(len(order)) - np.repeat(first, np.diff(np.r_[first, len(order)]))
    for scoring, relevant in batch.group_relevant.items():
        hit = relevant[order]
        best = np.full(batch.n_queries, np.iinfo(np.int64).max)
        np.minimum.at(best, gq[hit], pos[hit])
        out[scoring] = np.where(best < np.iinfo(np.int64).max, best + 1, 0)
    return out


def top_hits(batch: Batch, params: Params, query: int, limit: int) -> list[tuple[Any, ...]]:
    """One query's first `limit` hits as the replay ranks them: (path, start line, end
    line, score), to compare with what search returns."""
    chunk = scores(batch, params)
    group_score = np.maximum.reduceat(chunk, batch.group_starts)
    mine = np.flatnonzero(batch.group_query == query)
    order = mine[np.lexsort((batch.group_tie[mine], -group_score[mine]))][:limit]
    return [(*batch.group_span[g], float(group_score[g])) for g in order]


def mrr(r: np.ndarray, cutoff: int = retrieval.LIMIT) -> float:
    if not len(r):
        return math.nan
    return float(np.where((r > 0) & (r <= cutoff), 1.0 / np.maximum(r, 1), 0.0).mean())


def figures(batch: Batch, params: Params) -> dict[str, tuple[float, float]]:
    """MRR@10 (lenient, strict) per corpus and pooled (each query weighs the same)."""
    r = ranks(batch, params)
    out = {}
    for ci, name in enumerate(batch.names):
        mine = batch.corpus == ci
        out[name] = (mrr(r["lenient"][mine]), mrr(r["strict"][mine]))
    out["pooled"] = (mrr(r["lenient"]), mrr(r["strict"]))
    return out


# ------------------------------------------------------------------------------ fitting


@dataclass
class Training:
    """Function and class queries fitted together, each query weighing one and class
    queries `class_weight` (fitted on function queries alone, a model learns to bury
    class outlines, which a person asking for a class needs: tuning classes 0.70 ->
    0.38 in a first fit)."""

    functions: Batch
    classes: Batch
    class_weight: float = 1.0

    def objective(self, params: Params) -> float:
        """MRR@10, lenient and strict averaged, over both query sets."""
        nf, nc = self.functions.n_queries, self.classes.n_queries * self.class_weight

        def one(batch: Batch) -> float:
            r = ranks(batch, params)
            return (mrr(r["lenient"]) + mrr(r["strict"])) / 2

        return (nf * one(self.functions) + (nc * one(self.classes) if nc else 0.0)) / (nf + nc)


def coordinate_ascent(
    training: Training,
    start: Params,
    grids: dict[str, Sequence[float]],
    rounds: int = 4,
    min_gain: float = 0.0,
) -> Params:
    """Coordinate ascent (Metzler and Croft's, for linear rankers): each round tries
    every value of every constant's grid with the others held and keeps the best; it
    stops when a round changes nothing. MRR is a step function of the weights, so a
    grid, not a gradient. Ties keep the current value (fewer changes from search), and
    a change is taken only when it gains more than `min_gain` (a regulariser: a step
    that gains less is as likely to be noise in the training queries)."""
    params = dict(start)
    best = training.objective(params)
    for _ in range(rounds):
        changed = False
        for name, grid in grids.items():
            for value in grid:
                trial = {**params, name: value}
                score = training.objective(trial)
                if score > best + max(min_gain, 1e-9):
                    best, params, changed = score, trial, True
        if not changed:
            break
    return params


WEIGHT_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)
FACTOR_GRID = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
SIGNED_GRID = (-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0)
Model = Callable[[], tuple[Params, dict[str, Sequence[float]]]]


def _weights() -> tuple[Params, dict[str, Sequence[float]]]:
    """Search's own constants: the four rankers' and the name match's weights, the test
    and outline factors."""
    grids: dict[str, Sequence[float]] = {k: WEIGHT_GRID for k in (*RANKERS, "name_match")}
    grids.update(test_factor=FACTOR_GRID, thing_factor=FACTOR_GRID)
    return dict(SHIPPED), grids


def _linear() -> tuple[Params, dict[str, Sequence[float]]]:
    """Every feature search has for a candidate, from the shipped constants."""
    start, grids = _weights()
    for ranker in RANKERS:
        grids[f"{ranker}_rr"] = WEIGHT_GRID
        grids[f"{ranker}_in"] = SIGNED_GRID
    grids["agree"] = WEIGHT_GRID
    for name in ("method", "private", "log_lines"):
        grids[name] = SIGNED_GRID
    grids["action_factor"] = FACTOR_GRID
    grids["sibling"] = (0.0, 0.1, 0.25, 0.5, 1.0)
    return start, grids


def _query_form() -> tuple[Params, dict[str, Sequence[float]]]:
    """The shipped constants, and each ranker's weight changed for a query that names
    code and for a long one."""
    start, grids = _weights()
    for base in (*RANKERS, "name_match"):
        grids[f"{base}_x_code"] = SIGNED_GRID
        grids[f"{base}_x_long"] = SIGNED_GRID
    return start, grids


def _probes() -> tuple[Params, dict[str, Sequence[float]]]:
    """The shipped constants and every probe."""
    start, grids = _weights()
    grids.update({p: WEIGHT_GRID for p in PROBES})
    return start, grids


MODELS: dict[str, Model] = {
    "weights": _weights,
    "linear": _linear,
    "query-form": _query_form,
    "probes": _probes,
}


def fit(
    captured: dict[str, dict[str, Any]], model: Model, class_weight: float, min_gain: float = 0.0
) -> None:
    """Leave-one-corpus-out figures of `model`, then its constants fitted on all."""
    start, grids = model()
    names = list(captured)
    if len(names) > 1:
        print("left out (fitted on the others; MRR@10 lenient / strict, classes):")
        for held in names:
            rest = {k: v for k, v in captured.items() if k != held}
            training = Training(build(rest, "functions"), build(rest, "classes"), class_weight)
            fitted = coordinate_ascent(training, start, grids, min_gain=min_gain)
            _left_out(captured, held, fitted, _changed(start, fitted))
    training = Training(build(captured, "functions"), build(captured, "classes"), class_weight)
    fitted = coordinate_ascent(training, start, grids, min_gain=min_gain)
    _show("fitted on all (in sample)", training, fitted)
    print("  " + json.dumps(fitted))


def _left_out(captured: dict[str, Any], held: str, params: Params, note: str) -> None:
    one = {held: captured[held]}
    fn, cls = build(one, "functions"), build(one, "classes")
    (bl, bs), (fl, fs) = figures(fn, SHIPPED)[held], figures(fn, params)[held]
    bc, fc = figures(cls, SHIPPED)[held][0], figures(cls, params)[held][0]
    print(
        f"  {held:<12} shipped {bl:.3f} / {bs:.3f}, classes {bc:.3f}   "
        f"fitted {fl:.3f} / {fs:.3f}, classes {fc:.3f}   {note}"
    )


def _show(label: str, training: Training, params: Params) -> None:
    fn = figures(training.functions, params)
    cls = figures(training.classes, params)["pooled"][0]
    cells = "  ".join(f"{k} {v[0]:.3f} / {v[1]:.3f}" for k, v in fn.items())
    print(f"{label:<28} {cells}   classes {cls:.3f}")


def _changed(start: Params, fitted: Params) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in fitted.items() if start.get(k) != v) or "no change"


# ------------------------------------------------------------------- pairwise logistic

# Features of the pairwise model: what search has for each candidate; `--fill` adds the
# probes.
PAIR_FEATURES = (
    *RANKERS,
    "name_match",
    *(f"{r}_rr" for r in RANKERS),
    *(f"{r}_in" for r in RANKERS),
    "agree",
    "test",
    "thing_outline",
    "action_outline",
    "method",
    "private",
    "log_lines",
    "module",
)
# Others each relevant hit is paired with: the best under shipped search.
PAIR_DEPTH = 30


def pairs(batch: Batch, features: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(features of the relevant hit minus another's, a weight per pair): per query,
    its relevant hit (strict) against the `PAIR_DEPTH` best irrelevant ones (lenient)
    under shipped search, each hit standing for its best chunk there. A query's pairs
    weigh one in all, so a query with many candidates counts as much as one with few."""
    chunk = scores(batch, SHIPPED)
    ends = np.r_[batch.group_starts[1:], len(chunk)]
    rep = np.array(
        [s + int(np.argmax(chunk[s:e])) for s, e in zip(batch.group_starts, ends, strict=True)]
    )
    gscore = chunk[rep]
    x = np.stack([batch.feat[f][rep] for f in features], axis=1)
    diffs, weights = [], []
    for q in range(batch.n_queries):
        mine = np.flatnonzero(batch.group_query == q)
        good = mine[batch.group_relevant["strict"][mine]]
        bad = mine[~batch.group_relevant["lenient"][mine]]
        if not len(good) or not len(bad):
            continue
        target = good[np.argmax(gscore[good])]
        bad = bad[np.argsort(-gscore[bad])][:PAIR_DEPTH]
        diffs.append(x[target] - x[bad])
        weights.append(np.full(len(bad), 1.0 / len(bad)))
    if not diffs:
        return np.zeros((0, len(features))), np.zeros(0)
    return np.concatenate(diffs), np.concatenate(weights)


def logistic(diffs: np.ndarray, weights: np.ndarray, l2: float, steps: int = 100) -> np.ndarray:
    """Weights minimising the pairs' weighted logistic loss plus `l2`·|w|², by Newton's
    method (a few dozen features: the Hessian is small)."""
    w = np.zeros(diffs.shape[1])
    total = weights.sum() or 1.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(np.clip(diffs @ w, -30, 30)))
        grad = -(diffs * (weights * p)[:, None]).sum(0) / total + 2 * l2 * w
        curvature = (weights * p * (1 - p))[:, None] * diffs
        hessian = diffs.T @ curvature / total + 2 * l2 * np.eye(len(w))
        step = np.linalg.solve(hessian, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def fit_pairs(training: Training, features: Sequence[str], l2: float) -> Params:
    """The pairwise model as `Params`: weights in the features' own units, no factors
    (tests and outlines are features of it)."""
    d, wt = pairs(training.functions, features)
    dc, wc = pairs(training.classes, features)
    diffs, weights = np.concatenate([d, dc]), np.concatenate([wt, wc * training.class_weight])
    scale = diffs.std(0)
    scale[scale == 0] = 1.0
    w = logistic(diffs / scale, weights, l2) / scale
    params: Params = {"test_factor": 1.0, "thing_factor": 1.0}
    params.update({f: float(v) for f, v in zip(features, w, strict=True)})
    return params


def fit_pairwise(
    captured: dict[str, dict[str, Any]], features: Sequence[str], l2s: Sequence[float], cw: float
) -> None:
    for l2 in l2s:
        print(f"l2 {l2:g}, left out (fitted on the others):")
        for held in captured:
            rest = {k: v for k, v in captured.items() if k != held}
            params = fit_pairs(
                Training(build(rest, "functions"), build(rest, "classes"), cw), features, l2
            )
            _left_out(captured, held, params, "")
        training = Training(build(captured, "functions"), build(captured, "classes"), cw)
        _show("  fitted on all (in sample)", training, fit_pairs(training, features, l2))


# ---------------------------------------------------------------------------- siblings


def siblings(batch: Batch) -> tuple[int, dict[str, tuple[int, int]]]:
    """Where search puts another hit of the target's own file above the target (strict),
    which features know better: per feature, (queries where the target's best chunk has
    more of it than the best such sibling's, queries where it has less)."""
    chunk = scores(batch, SHIPPED)
    ends = np.r_[batch.group_starts[1:], len(chunk)]
    rep = np.array(
        [s + int(np.argmax(chunk[s:e])) for s, e in zip(batch.group_starts, ends, strict=True)]
    )
    gscore, gfile = chunk[rep], batch.file_key[rep]
    relevant = batch.group_relevant["strict"]
    counts = {k: [0, 0] for k in batch.feat}
    n = 0
    for q in range(batch.n_queries):
        mine = np.flatnonzero(batch.group_query == q)
        good = mine[relevant[mine]]
        if not len(good):
            continue
        t = good[np.argmax(gscore[good])]
        above = mine[(gfile[mine] == gfile[t]) & ~relevant[mine] & (gscore[mine] > gscore[t])]
        if not len(above):
            continue
        s = above[np.argmax(gscore[above])]
        n += 1
        for k, values in batch.feat.items():
            a, b = values[rep[t]], values[rep[s]]
            if a != b:
                counts[k][0 if a > b else 1] += 1
    return n, {k: (v[0], v[1]) for k, v in counts.items()}


# -------------------------------------------------------------------------------- main


def _tuning_only(names: Sequence[str]) -> None:
    held = set(names) - set(retrieval.TUNING_CORPORA)
    if held:
        raise SystemExit(f"never fit or choose on {', '.join(sorted(held))}: tuning corpora only")


def load(names: Sequence[str]) -> dict[str, dict[str, Any]]:
    out = {}
    for name in names:
        # `<name>-<version>.json` only: another JSON file beside it is not a capture.
        found = [
            p
            for p in CACHE.glob(f"{name}-*.json")
            if re.fullmatch(rf"{re.escape(name)}-\d[\w.+]*", p.stem)
        ]
        if not found:
            raise SystemExit(
                f"no capture of {name}: run `python -m bench.fusion_fit capture {name}`"
            )
        if len(found) > 1:
            listed = ", ".join(sorted(p.name for p in found))
            raise SystemExit(f"several captures of {name} ({listed}): keep one")
        out[name] = json.loads(found[0].read_text())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument(
        "command", choices=("capture", "replay", "fit", "pairs", "sweep", "siblings", "score")
    )
    parser.add_argument("corpora", nargs="+")
    parser.add_argument("--model", default="weights", choices=sorted(MODELS), help="fit: (weights)")
    parser.add_argument(
        "--class-weight", type=float, default=1.0, help="a class query's weight (1)"
    )
    parser.add_argument(
        "--min-gain", type=float, default=0.0, help="fit: the least gain a step must make (0)"
    )
    parser.add_argument("--fill", action="store_true", help="pairs: the probes as features too")
    parser.add_argument("--l2", default="0.001,0.01,0.1", help="pairs: L2 penalties tried")
    parser.add_argument("--features", default=",".join(PROBES), help="sweep: features added")
    parser.add_argument("--params", help="score: JSON constants (default: search's)")
    parser.add_argument(
        "--baseline",
        choices=("shipped", "round-6"),
        default="shipped",
        help="the constants fits start from and are compared with (shipped)",
    )
    parser.add_argument("--vector-cache", type=Path, default=retrieval.VECTOR_CACHE_DIR)
    args = parser.parse_args(argv)
    if args.command == "capture":
        for key, version, root, doc_comments in retrieval.prepare_corpora(args.corpora):
            started = time.perf_counter()
            path = capture(key, version, root, doc_comments, args.vector_cache)
            print(f"{key}: {path} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
        return 0
    if args.baseline == "round-6":
        # Every fit, sweep and replay reads `SHIPPED`: start them all from round 6.
        SHIPPED.update(ROUND_6)
    if args.command in ("fit", "pairs", "sweep", "siblings"):
        _tuning_only(args.corpora)
    captured = load(args.corpora)
    if args.command == "fit":
        fit(captured, MODELS[args.model], args.class_weight, args.min_gain)
    elif args.command == "pairs":
        features = PAIR_FEATURES + (PROBES if args.fill else ())
        l2s = [float(v) for v in args.l2.split(",")]
        fit_pairwise(captured, features, l2s, args.class_weight)
    elif args.command == "sweep":
        training = Training(build(captured, "functions"), build(captured, "classes"))
        _show("shipped", training, SHIPPED)
        for feature in args.features.split(","):
            for w in (0.25, 0.5, 1.0, 1.5):
                _show(f"+ {feature} {w:g}", training, {**SHIPPED, feature: w})
    elif args.command == "siblings":
        n, counts = siblings(build(captured, "functions"))
        print(f"{n} function queries with a hit of the target's file above it; the target has")
        for k, (more, less) in sorted(counts.items(), key=lambda kv: kv[1][0] - kv[1][1]):
            if more or less:
                print(f"  {k:<20} more {more:>4}   less {less:>4}")
    else:
        params = json.loads(args.params) if args.params else SHIPPED
        for query_set in retrieval.QUERY_SETS:
            batch = build(captured, query_set)
            for name, (lenient, strict) in figures(batch, params).items():
                n = (
                    batch.n_queries
                    if name == "pooled"
                    else int((batch.corpus == batch.names.index(name)).sum())
                )
                print(f"{query_set:<10} {name:<22} {n:>5}  {lenient:.3f} / {strict:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
