"""Declared receiver types travel in `CallSite.receiver_type`, next to the plain
receiver text, and survive a restart: calls re-resolved from the stored rows of a
reopened index still go through the type the code states (`typed`, and `self` for a
method's own receiver)."""

from __future__ import annotations

from helpers import Workspace, edges, stored_edges

STORE = "package store\n\ntype Conn struct{}\n\nfunc (c *Conn) Exec() {}\n"
CLOSE = "package app\n\nfunc (a *App) Close() {}\n"
APP = """
package app

import "example.com/m/store"

type App struct{ conn *store.Conn }

func (a *App) Run(c *store.Conn) {
	c.Exec()
	a.conn.Exec()
	a.Close()
}
"""
RUN = "app/app.go#App.Run"


def test_declared_types_survive_a_restart(workspace: Workspace) -> None:
    engine = workspace.indexed(
        {"go.mod": "module example.com/m\n", "store/store.go": STORE, "app/app.go": APP,
         "app/close.go": CLOSE}
    )  # fmt: skip
    stored = sorted(
        (e.call.callee, e.call.receiver, e.call.receiver_type)
        for e in stored_edges(engine)
        if e.src == RUN and e.call is not None
    )
    assert stored == [
        ("a.Close", "a", "self App"),
        ("a.conn.Exec", "a.conn", "store.Conn"),
        ("c.Exec", "c", "store.Conn"),
    ]
    engine.close()

    # A restart: the model is rebuilt from the store, and the edits below re-resolve
    # the calls from their stored rows, not from a parse of the calling file.
    engine = workspace.open()
    exec_calls = [(RUN, "c.Exec"), (RUN, "a.conn.Exec")]
    engine.apply_changes([("store/store.go", "package store\n\ntype Conn struct{}\n")])
    engine.apply_changes([("app/close.go", "package app\n")])
    calls = edges(engine)
    assert {calls[c] for c in exec_calls} == {("ext:example.com/m/store.Conn.Exec", "unresolved")}
    assert calls[(RUN, "a.Close")] == ("ext:example.com/m/app.App.Close", "unresolved")

    engine.apply_changes([("store/store.go", STORE)])
    engine.apply_changes([("app/close.go", CLOSE)])
    calls = edges(engine)
    assert {calls[c] for c in exec_calls} == {("store/store.go#Conn.Exec", "typed")}
    assert calls[(RUN, "a.Close")] == ("app/close.go#App.Close", "self")
