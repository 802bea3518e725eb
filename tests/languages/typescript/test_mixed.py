"""TypeScript, JavaScript and Python in one workspace: one index run, each language
resolved in its own model, no edge across languages even where names collide."""

from __future__ import annotations

from helpers import Workspace, edges, rows

FILES = {
    "app/__init__.py": "",
    "app/util.py": """
        def helper():
            return 1
        """,
    "app/main.py": """
        from app.util import helper

        def run():
            return helper()
        """,
    "web/util.ts": """
        export function helper(): number { return 1; }
        """,
    "web/main.ts": """
        import { helper } from "./util";
        export function run(): number { return helper() + lonely(); }
        """,
    "web/legacy.js": """
        function lonely() { return helper(); }
        """,
}


def test_languages_index_together_without_crossing(workspace: Workspace) -> None:
    engine = workspace.indexed(FILES)
    languages = dict(rows(engine, "MATCH (f:File) RETURN f.path, f.language"))
    assert languages == {
        "app/__init__.py": "python",
        "app/main.py": "python",
        "app/util.py": "python",
        "web/legacy.js": "javascript",
        "web/main.ts": "typescript",
        "web/util.ts": "typescript",
    }
    calls = edges(engine)
    assert calls[("app/main.py#run", "helper")] == ("app/util.py#helper", "import")
    assert calls[("web/main.ts#run", "helper")] == ("web/util.ts#helper", "import")
    # `lonely` is only defined in JavaScript, `helper` only in the other languages:
    # neither may be guessed by name across the language boundary.
    assert calls[("web/main.ts#run", "lonely")][1] == "unresolved"
    assert calls[("web/legacy.js#lonely", "helper")][1] == "unresolved"
    language_of = {path: language for path, language in languages.items()}
    for (source, _), (target, _) in calls.items():
        if not target.startswith("ext:"):
            assert language_of[source.split("#")[0]] == language_of[target.split("#")[0]]
