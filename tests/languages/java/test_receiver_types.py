"""Declared receiver types travel in `CallSite.receiver_type`, next to the plain
receiver text, and survive a restart: calls re-resolved from the stored rows of a
reopened index are still `typed`."""

from __future__ import annotations

from helpers import Workspace, edges, stored_edges

REPO_PATH = "src/com/acme/Repo.java"
REPO = "package com.acme;\n\npublic class Repo {\n    public void save() {}\n}\n"
APP = """
package com.acme;

public class App {
    private Repo repo;

    void run(Repo r) {
        r.save();
        this.repo.save();
    }
}
"""
APP_PATH = "src/com/acme/App.java"
CALLS = [(f"{APP_PATH}#App.run", "r.save"), (f"{APP_PATH}#App.run", "this.repo.save")]


def test_declared_types_survive_a_restart(workspace: Workspace) -> None:
    engine = workspace.indexed({REPO_PATH: REPO, APP_PATH: APP})
    stored = sorted(
        (e.call.callee, e.call.receiver, e.call.receiver_type)
        for e in stored_edges(engine)
        if e.path == APP_PATH and e.call is not None
    )
    assert stored == [("r.save", "r", "Repo"), ("this.repo.save", "this.repo", "Repo")]
    assert {edges(engine)[c] for c in CALLS} == {(f"{REPO_PATH}#Repo.save", "typed")}
    engine.close()

    # A restart: the model is rebuilt from the store, and the edits below re-resolve
    # the calls from their stored rows, not from a parse of the calling file.
    engine = workspace.open()
    engine.apply_changes([(REPO_PATH, "package com.acme;\n\npublic class Repo {}\n")])
    assert {edges(engine)[c] for c in CALLS} == {("ext:com.acme.Repo.save", "unresolved")}
    engine.apply_changes([(REPO_PATH, REPO)])
    assert {edges(engine)[c] for c in CALLS} == {(f"{REPO_PATH}#Repo.save", "typed")}
