"""Declared receiver types travel in `CallSite.receiver_type`, next to the plain
receiver text, and survive a restart: calls re-resolved from the stored rows of a
reopened index are still `typed`. TypeScript states types by annotations, JavaScript
only by `new Foo()`."""

from __future__ import annotations

import pytest

from helpers import Workspace, edges, stored_edges

TYPESCRIPT = (
    "ts",
    """
    import { Repo } from "./repo";

    export class App {
      constructor(private repo: Repo) {}

      run(r: Repo | null) {
        r.save();
        this.repo.save();
      }
    }
    """,
)
JAVASCRIPT = (
    "js",
    """
    import { Repo } from "./repo";

    export class App {
      constructor() { this.repo = new Repo(); }

      run() {
        const r = new Repo();
        r.save();
        this.repo.save();
      }
    }
    """,
)


@pytest.mark.parametrize(("suffix", "app"), [TYPESCRIPT, JAVASCRIPT], ids=["ts", "js"])
def test_declared_types_survive_a_restart(workspace: Workspace, suffix: str, app: str) -> None:
    repo_path, app_path = f"src/repo.{suffix}", f"src/app.{suffix}"
    repo = "export class Repo {\n  save() {}\n}\n"
    engine = workspace.indexed({repo_path: repo, app_path: app})
    stored = sorted(
        (e.call.callee, e.call.receiver, e.call.receiver_type)
        for e in stored_edges(engine)
        if e.path == app_path and e.call is not None and e.call.name == "save"
    )
    assert stored == [("r.save", "r", "Repo"), ("this.repo.save", "this.repo", "Repo")]
    engine.close()

    # A restart: the model is rebuilt from the store, and the edits below re-resolve
    # the calls from their stored rows, not from a parse of the calling file.
    engine = workspace.open()
    calls = [(f"{app_path}#App.run", "r.save"), (f"{app_path}#App.run", "this.repo.save")]
    engine.apply_changes([(repo_path, "export class Repo {}\n")])
    assert {edges(engine)[c] for c in calls} == {("ext:src/repo.Repo.save", "unresolved")}
    engine.apply_changes([(repo_path, repo)])
    assert {edges(engine)[c] for c in calls} == {(f"{repo_path}#Repo.save", "typed")}
