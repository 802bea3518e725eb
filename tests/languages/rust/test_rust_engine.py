"""Rust through the real engine: a crate beside Python in one workspace, and an
incremental rename whose caller's edge follows."""

from __future__ import annotations

from helpers import Workspace, edges, rows

CRATE = {
    "Cargo.toml": '[package]\nname = "tally"\nversion = "0.1.0"\n',
    "src/lib.rs": """
        pub mod count;

        pub fn run() -> u32 {
            count::total(2)
        }
        """,
    "src/count.rs": """
        pub fn total(n: u32) -> u32 {
            n * 2
        }
        """,
}

PYTHON = {
    "tools/total.py": """
        def total(n):
            return n * 2


        def run():
            return total(2)
        """,
}


def test_rust_and_python_index_together_without_edges_across_languages(
    workspace: Workspace,
) -> None:
    engine = workspace.indexed({**CRATE, **PYTHON})
    languages = rows(engine, "MATCH (f:File) RETURN f.path, f.language")
    assert languages == [
        ("src/count.rs", "rust"),
        ("src/lib.rs", "rust"),
        ("tools/total.py", "python"),
    ]
    calls = edges(engine)
    assert calls[("src/lib.rs#run", "count::total")] == ("src/count.rs#total", "import")
    assert calls[("tools/total.py#run", "total")] == ("tools/total.py#total", "same-file")
    crossing = rows(
        engine,
        "MATCH (a:Symbol)-[:CALLS|IMPORTS|INHERITS]->(b:Symbol) "
        "WHERE b.kind <> 'external' AND "
        "(a.path ENDS WITH '.rs') <> (b.path ENDS WITH '.rs') RETURN a.id, b.id",
    )
    assert crossing == []


def test_renaming_a_function_moves_its_callers_edge(workspace: Workspace) -> None:
    engine = workspace.indexed(CRATE)
    assert edges(engine)[("src/lib.rs#run", "count::total")] == ("src/count.rs#total", "import")

    # The definition is renamed: the caller's edge can no longer point at it.
    engine.apply_changes([("src/count.rs", "pub fn sum(n: u32) -> u32 {\n    n * 2\n}\n")])
    assert edges(engine)[("src/lib.rs#run", "count::total")] == (
        "ext:tally::count::total",
        "unresolved",
    )

    # The caller follows the rename: its edge points at the new definition.
    caller = (workspace.root / "src/lib.rs").read_text().replace("count::total", "count::sum")
    engine.apply_changes([("src/lib.rs", caller)])
    calls = edges(engine)
    assert calls[("src/lib.rs#run", "count::sum")] == ("src/count.rs#sum", "import")
    assert ("src/lib.rs#run", "count::total") not in calls

    # Renamed back in the definition only: the stale placeholder edge is rewired.
    engine.apply_changes([("src/count.rs", "pub fn total(n: u32) -> u32 {\n    n\n}\n")])
    engine.apply_changes([("src/lib.rs", caller.replace("count::sum", "count::total"))])
    assert edges(engine)[("src/lib.rs#run", "count::total")] == ("src/count.rs#total", "import")


def test_a_new_definition_resolves_a_waiting_caller_in_another_file(workspace: Workspace) -> None:
    engine = workspace.indexed(
        {
            **CRATE,
            "src/lib.rs": "pub mod count;\n\npub fn run() -> u32 {\n    count::double(2)\n}\n",
        }
    )
    assert edges(engine)[("src/lib.rs#run", "count::double")][1] == "unresolved"
    engine.apply_changes(
        [
            (
                "src/count.rs",
                "pub fn total(n: u32) -> u32 {\n    n * 2\n}\n\n"
                "pub fn double(n: u32) -> u32 {\n    n * 2\n}\n",
            )
        ]
    )
    assert edges(engine)[("src/lib.rs#run", "count::double")] == ("src/count.rs#double", "import")
