"""Go beside Python in one workspace: both indexed in one run, no edge across them."""

from __future__ import annotations

from helpers import Workspace, edges, rows

FILES = {
    "go.mod": "module example.com/mixed\n",
    "server/server.go": """
        package server

        // Flush writes everything out.
        func Flush() {}

        func handle(x any) {
            Flush()
            x.(interface{ save() }).save()
            v := lookup()
            v.save()
        }

        func lookup() any { return nil }
        """,
    "tools/report.py": """
        def Flush():
            pass

        class Store:
            def save(self):
                Flush()

        def run(v):
            v.save()
            lookup()
        """,
}


def test_go_and_python_index_together_without_crossing(workspace: Workspace) -> None:
    engine = workspace.indexed(FILES)
    languages = dict(rows(engine, "MATCH (f:File) RETURN f.path, f.language"))
    assert languages == {"server/server.go": "go", "tools/report.py": "python"}
    calls = edges(engine)
    # Each language resolves within itself: Flush to its own Flush.
    assert calls[("server/server.go#handle", "Flush")] == (
        "server/server.go#Flush",
        "same-file",
    )
    assert calls[("tools/report.py#Store.save", "Flush")] == ("tools/report.py#Flush", "same-file")
    # `v.save()` in Go has no Go method `save` to guess; Python's guesses its own only
    # method of that name.
    assert calls[("server/server.go#handle", "v.save")][1] == "unresolved"
    assert calls[("tools/report.py#run", "v.save")] == ("tools/report.py#Store.save", "name-only")
    # `lookup` exists only in Go: Python's call does not reach it.
    assert calls[("tools/report.py#run", "lookup")][1] == "unresolved"
    symbols = dict(rows(engine, "MATCH (s:Symbol) WHERE s.kind <> 'external' RETURN s.id, s.path"))
    for (source, _), (target, _) in calls.items():
        if target in symbols:
            assert symbols[source].endswith(".go") == symbols[target].endswith(".go")
