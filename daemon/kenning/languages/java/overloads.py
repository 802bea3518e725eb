"""Java overload choice: which of several same-named methods a call's arguments fit.

A call site carries what the code states of its arguments (`CallSite.arguments`,
`(String, ?, int)`, see `extract.py`) and each method its signature
(`<T>(Foo f, int... rest) -> R`). The choice follows JLS 15.12.2 as far as stated
types reach. Each stated argument fits its parameter exactly (the same type), by
widening (a wider primitive, `Object`, `String` to `CharSequence`, `null` to a
reference), by boxing or unboxing, possibly (an unstated argument, a type variable,
two class types this module cannot relate: the workspace's hierarchy is not
consulted), or not at all (`String` for an `int`, an `int` for a `Foo`). As in the
language's three phases, the methods that fit without boxing win over those that
need it, and those over varargs ones; of those, the most specific (each parameter
widens to the other's) wins, then the one with the most exact fits, where the
winner is known to apply (every argument stated and fitting). What is still
tied is ambiguous, and the resolver links every tied method as a `candidate`
instead of guessing one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from kenning.parse.text import closing_bracket, split_outside

UNKNOWN = "?"
NULL = "null"

_ANNOTATION = re.compile(r"@[\w.]+(\s*\([^()]*\))?")
_TYPE_ARGUMENTS = re.compile(r"<[^<>]*>")
# Widening primitive conversions (JLS 5.1.2): what each primitive widens to.
_WIDENS_TO = {
    "byte": {"short", "int", "long", "float", "double"},
    "short": {"int", "long", "float", "double"},
    "char": {"int", "long", "float", "double"},
    "int": {"long", "float", "double"},
    "long": {"float", "double"},
    "float": {"double"},
    "double": set(),
    "boolean": set(),
}
_BOXES = {
    "byte": "Byte",
    "short": "Short",
    "char": "Character",
    "int": "Integer",
    "long": "Long",
    "float": "Float",
    "double": "Double",
    "boolean": "Boolean",
}
_UNBOXES = {box: primitive for primitive, box in _BOXES.items()}
# Supertypes of the boxes and of String that a boxed or string argument may go to.
_BOX_SUPERTYPES = {"Object", "Number", "Comparable", "Serializable", "Constable", "ConstantDesc"}
_STRING_SUPERTYPES = {"Object", "CharSequence", "Comparable", "Serializable", "Constable",
                      "ConstantDesc"}  # fmt: skip
_ARRAY_SUPERTYPES = {"Object", "Cloneable", "Serializable"}

# How an argument fits a parameter, worst to best. MAYBE (nothing known against it)
# counts as fitting without boxing; only WIDEN and EXACT make a method more specific.
NO, BOX, MAYBE, WIDEN, EXACT = 0, 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class Parameters:
    """A method's parameter types, simple names (`List`, `int[]`), the last one's
    element type when it is varargs, and the method's own type variables."""

    types: tuple[str, ...]
    varargs: bool
    type_variables: frozenset[str]


def parse_arguments(arguments: str) -> tuple[str, ...] | None:
    """`(String, ?, int)` -> ("String", "?", "int"); None when nothing was recorded."""
    if not arguments.startswith("("):
        return None
    inner = arguments[1:-1].strip()
    return tuple(part.strip() for part in inner.split(",")) if inner else ()


@lru_cache(maxsize=8192)
def parse_parameters(signature: str) -> Parameters | None:
    """The parameters of a method's signature as kenning writes it (`extract.py`);
    None when it has no parameter list. Cached: an overloaded name's signatures are
    parsed again for every call that reaches it, and the result is immutable."""
    type_variables: set[str] = set()
    text = signature.strip()
    if text.startswith("<"):
        close = closing_bracket(text, 0, "<", ">")
        if close < 0:
            return None
        for part in split_outside(text[1:close], ",", "<([", ">)]"):
            name = part.split()[0] if part.split() else ""
            if name:
                type_variables.add(name)
        text = text[close + 1 :].lstrip()
    if not text.startswith("("):
        return None
    close = closing_bracket(text, 0, "(", ")")
    if close < 0:
        return None
    types: list[str] = []
    varargs = False
    for part in split_outside(text[1:close], ",", "<([", ">)]"):
        part = _ANNOTATION.sub(" ", part)
        words = [w for w in part.replace("...", " ... ").split() if w != "final"]
        if len(words) < 2 or words[-1] == "this":
            continue  # a receiver parameter (`Foo this`) is not an argument
        name = words[-1]
        written = "".join(words[:-1])
        dims = name.count("[")
        if written.endswith("..."):
            varargs = True
            written = written[:-3]
            dims += 1
        written = simple_type(written) + "[]" * dims
        types.append(written)
    return Parameters(tuple(types), varargs, frozenset(type_variables))


def simple_type(written: str) -> str:
    """`java.util.Map.Entry<K, V>[]` -> `Entry[]`: type arguments, annotations and
    qualifiers dropped, array dimensions kept."""
    text = "".join(_ANNOTATION.sub(" ", written).split())
    previous = None
    while previous != text:
        previous, text = text, _TYPE_ARGUMENTS.sub("", text)
    dims = text.count("[]")
    base = text.replace("[]", "").rpartition(".")[2]
    return base + "[]" * dims


def fit(argument: str, parameter: str, type_variables: frozenset[str]) -> int:
    """How an argument of stated type `argument` fits a parameter: NO, BOX, MAYBE,
    WIDEN or EXACT."""
    if argument == UNKNOWN:
        return MAYBE
    argument = simple_type(argument) if argument != NULL else argument
    if argument == parameter:
        return EXACT
    p_dims, a_dims = parameter.count("[]"), argument.count("[]")
    p_base, a_base = parameter.replace("[]", ""), argument.replace("[]", "")
    if p_dims == 0 and _is_type_variable(p_base, type_variables):
        return MAYBE
    if argument == NULL:
        return NO if parameter in _WIDENS_TO else WIDEN
    if a_dims or p_dims:
        if a_dims and not p_dims:
            return WIDEN if p_base in _ARRAY_SUPERTYPES else NO
        if a_dims != p_dims:
            return NO
        if a_base in _WIDENS_TO or p_base in _WIDENS_TO:
            return NO  # primitive arrays do not convert
        return fit(a_base, p_base, type_variables)
    if argument in _WIDENS_TO:
        if parameter in _WIDENS_TO:
            return WIDEN if parameter in _WIDENS_TO[argument] else NO
        return BOX if parameter == _BOXES[argument] or parameter in _BOX_SUPERTYPES else NO
    if parameter in _WIDENS_TO:
        unboxed = _UNBOXES.get(argument)
        if unboxed is None:
            return NO
        return BOX if parameter == unboxed or parameter in _WIDENS_TO[unboxed] else NO
    if parameter == "Object":
        return WIDEN
    if argument in _UNBOXES:
        return WIDEN if parameter in _BOX_SUPERTYPES else NO
    if argument == "String":
        return WIDEN if parameter in _STRING_SUPERTYPES else NO
    if parameter in _UNBOXES or parameter == "String":
        return NO  # final classes: only themselves (and null) fit
    return MAYBE  # two class types: a subtype relation is not known here


def choose(candidates: list[tuple[str, str]], arguments: str) -> list[str]:
    """Of `(id, signature)` pairs (nearest class first), the ids the arguments may
    call: one when the choice is clear, several when it stays ambiguous. Without
    recorded arguments the first is taken, as before overloads were told apart."""
    if not candidates:
        return []
    stated = parse_arguments(arguments)
    if stated is None or len(candidates) == 1:
        return [candidates[0][0]]
    # A method overriding another has its parameter types: keep the nearest.
    unique: dict[tuple[tuple[str, ...], bool] | str, tuple[str, Parameters | None]] = {}
    for sid, signature in candidates:
        params = parse_parameters(signature)
        key = (params.types, params.varargs) if params is not None else sid
        unique.setdefault(key, (sid, params))
    if len(unique) == 1:
        return [next(iter(unique.values()))[0]]
    methods = [(sid, params) for sid, params in unique.values() if params is not None]
    for phase in (1, 2, 3):
        fits = [(sid, p, s) for sid, p in methods if (s := _fits(stated, p, phase)) is not None]
        if fits:
            return _most_specific(fits)
    # Nothing fits: the overloads of the right arity (or all) are the candidates.
    arity = [sid for sid, p in methods if _arity_fits(len(stated), p)]
    return arity or [sid for sid, _ in unique.values()]


def _fits(stated: tuple[str, ...], params: Parameters, phase: int) -> list[int] | None:
    """Each argument's fit in `phase` (1: no boxing, 2: boxing, 3: varargs), or None
    when the method does not apply in that phase."""
    variables = params.type_variables
    if phase < 3:
        if len(stated) != len(params.types):
            return None
        scores = [fit(a, p, variables) for a, p in zip(stated, params.types, strict=True)]
        floor = MAYBE if phase == 1 else BOX
    else:
        if not params.varargs or len(stated) < len(params.types) - 1:
            return None
        fixed = len(params.types) - 1
        element = params.types[-1].removesuffix("[]")
        scores = [fit(a, p, variables) for a, p in zip(stated, params.types[:fixed], strict=False)]
        scores += [fit(a, element, variables) for a in stated[fixed:]]
        floor = BOX
    return scores if all(s >= floor for s in scores) else None


def _most_specific(fits: list[tuple[str, Parameters, list[int]]]) -> list[str]:
    """The methods no other one is strictly more specific than; of those still tied,
    the one with the most exact fits. Only a method known to apply (no argument that
    merely possibly fits) may set another aside: with `m(int)` and `m(long)`, a call
    `m(x)` of unknown `x` may be either."""
    if len(fits) == 1:
        return [fits[0][0]]

    def more_specific(a: Parameters, b: Parameters) -> bool:
        if len(a.types) != len(b.types):
            return False
        return all(
            fit(x, y, b.type_variables) >= WIDEN for x, y in zip(a.types, b.types, strict=True)
        )

    def certain(scores: list[int]) -> bool:
        return MAYBE not in scores

    maximal = [
        (sid, p, scores)
        for sid, p, scores in fits
        if not any(
            certain(q_scores) and more_specific(q, p) and not more_specific(p, q)
            for other, q, q_scores in fits
            if other != sid
        )
    ]
    best = max(scores.count(EXACT) for _, _, scores in maximal)
    exact = [(sid, scores) for sid, _, scores in maximal if scores.count(EXACT) == best]
    if len(exact) == 1 and certain(exact[0][1]):
        return [exact[0][0]]
    return [sid for sid, _, _ in maximal]


def arity_fits(signature: str, arguments: str) -> bool:
    """Whether a call with `arguments` (`CallSite.arguments`) can reach a method of
    this signature by their number; True when either is not recorded."""
    stated = parse_arguments(arguments)
    params = parse_parameters(signature)
    return stated is None or params is None or _arity_fits(len(stated), params)


def _arity_fits(count: int, params: Parameters) -> bool:
    if params.varargs:
        return count >= len(params.types) - 1
    return count == len(params.types)


def _is_type_variable(name: str, declared: frozenset[str]) -> bool:
    # A class's type variables are not in the method's signature; by convention they
    # are one capital letter, perhaps with a digit (`T`, `K`, `V`, `T2`).
    return name in declared or bool(re.fullmatch(r"[A-Z][0-9]?", name))
