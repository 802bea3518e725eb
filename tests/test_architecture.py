"""Import-direction invariants, checked by reading every module's imports with `ast`.

Layers, highest first: front ends (`server`, `cli`, `api`) -> `engine` -> `pipeline`/`query`
-> `languages` -> `parse`/`resolve`/`storage`/`embed` -> `core`. A module imports only from
its own layer or lower. Each check lists every violation as `path:line imports name (why)`.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import kenning

PACKAGE = Path(kenning.__file__).resolve().parent

LAYERS = {
    "server": 6,
    "cli": 6,
    # The HTTP API's client side (owner records, clients), used by the other two.
    "api": 6,
    "__main__": 6,
    "engine": 5,
    "pipeline": 4,
    "query": 4,
    # The language registry and one folder per language: built on parse and resolve.
    "languages": 3,
    "parse": 2,
    "resolve": 2,
    "storage": 2,
    "embed": 2,
    "core": 1,
    # The package root holds only `__version__`.
    "__init__": 0,
}


@dataclass(frozen=True)
class ImportOf:
    path: str  # e.g. "kenning/storage/graph.py"
    area: str  # first part under kenning/: "storage", "cli", "__main__", ...
    line: int
    name: str  # absolute dotted name imported, e.g. "kenning.core.facts" or "ladybug"

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.name}"


def module_imports() -> Iterator[ImportOf]:
    """Every import statement of every module, function-level (lazy) imports included."""
    yield from _module_imports()


@functools.cache
def _parsed() -> tuple[tuple[Path, ast.Module], ...]:
    """Every module's syntax tree, parsed once for all the checks."""
    return tuple(
        (file, ast.parse(file.read_text(encoding="utf-8"), str(file)))
        for file in sorted(PACKAGE.rglob("*.py"))
    )


@functools.cache
def _module_imports() -> tuple[ImportOf, ...]:
    return tuple(_collect_imports())


def _collect_imports() -> Iterator[ImportOf]:
    for file, tree in _parsed():
        rel = file.relative_to(PACKAGE)
        area = rel.parts[0].removesuffix(".py")
        package = ["kenning", *rel.parts[:-1]]
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                if module == "__future__":
                    continue
                # `from kenning import x` may import the submodule x.
                names = [
                    f"{module}.{alias.name}" if module == "kenning" else module
                    for alias in node.names
                ]
            else:
                continue
            for name in names:
                yield ImportOf(f"kenning/{rel.as_posix()}", area, node.lineno, name)


def kenning_area(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] != "kenning":
        return None
    if len(parts) == 1 or parts[1] == "__version__":
        return "__init__"
    return parts[1]


Rule = Callable[[ImportOf], str | None]


def violations(rule: Rule) -> list[str]:
    found = []
    for imp in module_imports():
        why = rule(imp)
        if why:
            found.append(f"{imp} ({why})")
    return found


def upward(imp: ImportOf) -> str | None:
    target = kenning_area(imp.name)
    if target is None or target == imp.area:
        return None
    if LAYERS[target] > LAYERS[imp.area]:
        return f"{imp.area} is below {target}"
    return None


def outside(allowed: tuple[str, ...], libraries: tuple[str, ...]) -> Rule:
    def rule(imp: ImportOf) -> str | None:
        top = imp.name.split(".")[0]
        if top in libraries and imp.area not in allowed:
            return f"only {'/'.join(allowed)} may import {top}"
        return None

    return rule


def test_every_area_has_a_layer() -> None:
    areas = {
        p.name.removesuffix(".py")
        for p in PACKAGE.iterdir()
        if p.suffix == ".py" or (p / "__init__.py").exists()
    }
    assert sorted(areas - set(LAYERS)) == []


def test_modules_import_only_their_layer_or_lower() -> None:
    assert violations(upward) == []


def test_core_imports_nothing_above_it() -> None:
    def rule(imp: ImportOf) -> str | None:
        target = kenning_area(imp.name)
        if imp.area == "core" and target not in (None, "core", "__init__"):
            return "core depends on nothing else in kenning"
        return None

    assert violations(rule) == []


def test_only_storage_touches_the_databases() -> None:
    assert violations(outside(("storage",), ("ladybug", "lancedb"))) == []


def test_only_front_ends_speak_lsp() -> None:
    assert violations(outside(("server", "cli"), ("pygls", "lsprotocol"))) == []


def test_only_the_daemon_and_its_clients_speak_http() -> None:
    assert violations(outside(("server", "api"), ("aiohttp",))) == []


def test_only_the_server_speaks_mcp() -> None:
    # The MCP SDK, and pydantic, which its tool schemas are written in.
    assert violations(outside(("server",), ("mcp", "pydantic"))) == []
    assert any(imp.area == "server" and imp.name.startswith("mcp.") for imp in module_imports())


def test_only_the_pipeline_runs_concurrently() -> None:
    libraries = ("concurrent", "multiprocessing", "queue")
    assert violations(outside(("pipeline",), libraries)) == []
    # Stores may guard themselves against the pipeline's threads (locks, a connection
    # per thread); they never start one.
    assert violations(outside(("pipeline", "storage"), ("threading",))) == []
    storage = (PACKAGE / "storage").rglob("*.py")
    assert [p.name for p in storage if "Thread(" in p.read_text()] == []


def test_no_language_is_named_outside_the_registry() -> None:
    """Only `languages/` knows which languages exist: everything else asks the registry.

    A string constant that is a language's name (`"python"`) in any other module is
    code testing a language by name.
    """
    from kenning.languages import names

    known = set(names())
    found = []
    for file in sorted(PACKAGE.rglob("*.py")):
        rel = file.relative_to(PACKAGE)
        if rel.parts[0] == "languages":
            continue
        tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in known:
                found.append(f"kenning/{rel.as_posix()}:{node.lineno} names {node.value!r}")
    assert found == []


def module_names() -> set[str]:
    """Every module's dotted name (a package is its `__init__`)."""
    names = set()
    for file in PACKAGE.rglob("*.py"):
        parts = ["kenning", *file.relative_to(PACKAGE).with_suffix("").parts]
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def module_graph() -> dict[str, set[str]]:
    """Module -> the kenning modules it imports (lazy and TYPE_CHECKING imports too:
    a cycle through either still ties the modules together). `from pkg import name`
    is an import of the module `pkg.name` when there is one, else of `pkg`."""
    modules = module_names()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for file, tree in _parsed():
        rel_parts = ["kenning", *file.relative_to(PACKAGE).with_suffix("").parts]
        is_package = rel_parts[-1] == "__init__"
        me = ".".join(rel_parts[:-1] if is_package else rel_parts)
        package = rel_parts[:-1]
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                targets = [
                    f"{module}.{alias.name}" if f"{module}.{alias.name}" in modules else module
                    for alias in node.names
                ]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != me:
                    graph[me].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_between_modules() -> None:
    """Inside a package too: two modules that import each other (even lazily, or only
    for type checking) are one module in two files, and neither can change alone."""
    assert cycles(module_graph()) == []


def test_the_daemons_core_knows_no_protocol() -> None:
    """`server/workspaces.py`, and everything it imports, speaks kenning's own structs:
    LSP, HTTP and MCP are front ends over it. (It is a client of HTTP: a folder another
    daemon owns is asked over `api/client.py`.)"""
    graph = module_graph()
    reached = set()
    todo = ["kenning.server.workspaces"]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo += graph[module]
    protocols = ("pygls", "lsprotocol", "mcp", "pydantic")
    found = [
        str(imp)
        for imp in module_imports()
        if imp.name.split(".")[0] in protocols
        and imp.path.removesuffix(".py").removesuffix("/__init__").replace("/", ".") in reached
    ]
    assert found == []
    assert "kenning.server.backends" in reached
    assert not reached & {"kenning.server.handlers", "kenning.server.http", "kenning.server.mcp"}


def test_the_checks_see_violations() -> None:
    """The rules catch what they are for, so an empty list above means something."""
    fake = ImportOf("kenning/core/x.py", "core", 1, "kenning.engine.engine")
    assert upward(fake) == "core is below engine"
    database_in_query = ImportOf("kenning/query/x.py", "query", 3, "ladybug")
    only_storage = outside(("storage",), ("ladybug",))
    assert only_storage(database_in_query) == "only storage may import ladybug"
    assert any(imp.name == "ladybug" and imp.area == "storage" for imp in module_imports())
    # Lazy imports inside functions count too (cli imports the engine in a function).
    assert any(imp.area == "cli" and imp.name == "kenning.engine" for imp in module_imports())
    # A cycle is found however long it is, and only modules on it are named.
    ring = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert cycles(ring) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    graph = module_graph()
    assert "kenning.server.protocol" in graph["kenning.server.http"]
