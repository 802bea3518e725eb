"""Finding symbols by name: ranked matches, and one symbol for a user's words.

`resolve_symbol` accepts what people type: a qualified name (`pkg.mod.Class.meth`), a
dotted suffix (`Class.meth`), a bare name (`meth`) or a symbol id. When nothing
matches it raises `UnknownSymbol` with close matches to suggest.
"""

from __future__ import annotations

import difflib
import re

from kenning.core.results import SymbolRef
from kenning.storage.layered import GraphReader

CANDIDATES = 2000


class UnknownSymbol(LookupError):
    def __init__(self, text: str, suggestions: list[str]) -> None:
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"no symbol named {text!r}{hint}")
        self.text = text
        self.suggestions = suggestions


def _rank(query: str, sym: SymbolRef) -> tuple[int, int, str]:
    q = query.lower()
    name = sym.name.lower()
    qualname = sym.qualname.lower()
    if qualname == q or sym.id == query:
        tier = 0
    elif qualname.endswith("." + q):
        tier = 1
    elif name == q:
        tier = 2
    elif name.startswith(q):
        tier = 3
    elif q in name:
        tier = 4
    else:
        tier = 5  # the letters in order, with gaps (`rstg` for `resolve_target`)
    return (tier, len(sym.qualname), sym.qualname)


def find_symbols(graph: GraphReader, query: str, limit: int = 20) -> list[SymbolRef]:
    """Definitions matching `query`, best first: exact, dotted suffix, name, prefix,
    substring, then (when those are few) the query's letters in order."""
    last = query.rsplit(".", 1)[-1] if query.strip() else ""
    if not last:
        return []
    pattern = "^.*" + ".*".join(re.escape(c) for c in last.lower())
    if not graph.may_match(last.lower(), letters="." not in query):
        return []  # an editor polling as the user types: most queries match nothing
    candidates = graph.find_symbols(last, CANDIDATES)
    # A dotted query must match the tail of the qualified name.
    if "." in query:
        q = query.lower()
        candidates = [
            s for s in candidates if s.qualname.lower() == q or s.qualname.lower().endswith("." + q)
        ]
    if len(candidates) < limit and "." not in query:
        # Too few names contain the query: add those with its letters in order.
        known = {s.id for s in candidates}
        fuzzy = graph.find_symbols_fuzzy(pattern, CANDIDATES)
        candidates += [s for s in fuzzy if s.id not in known]
    candidates.sort(key=lambda s: _rank(query, s))
    return candidates[:limit]


def resolve_symbol(graph: GraphReader, text: str) -> list[SymbolRef]:
    """The symbols `text` names most precisely (several when a bare name is ambiguous)."""
    if "#" in text:
        exact = graph.symbols_by_ids([text])
        if exact:
            return exact
    matches = find_symbols(graph, text, limit=CANDIDATES)
    if not matches:
        raise UnknownSymbol(text, suggest(graph, text))
    best = _rank(text, matches[0])[0]
    if best > 2:
        # Only prefix/substring matches: not the symbol the user named.
        raise UnknownSymbol(text, [m.qualname for m in matches[:5]])
    return [m for m in matches if _rank(text, m)[0] == best]


def suggest(graph: GraphReader, text: str, n: int = 5) -> list[str]:
    """Qualified names that look like `text`, for "did you mean" messages."""
    last = text.rsplit(".", 1)[-1]
    pool: dict[str, str] = {}
    for probe in {last[:3], last[-3:]}:
        if probe:
            for sym in graph.find_symbols(probe, CANDIDATES):
                pool[sym.name] = sym.qualname
    close = difflib.get_close_matches(last, list(pool), n=n, cutoff=0.6)
    return [pool[name] for name in close]
