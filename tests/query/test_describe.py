"""`Engine.describe`: what a name denotes, with doc comment, code and neighbours, on a
real index of a small project."""

from __future__ import annotations

from helpers import Workspace

FILES = {
    "pkg/__init__.py": "",
    "pkg/core.py": '''\
        import os


        def resolve_target(name):
            """Find where a call goes."""
            return os.path.join("x", name.upper())


        class Registry:
            """Keeps plugins."""

            def register(self, item):
                return resolve_target(item)
        ''',
    "pkg/app.py": """\
        from pkg.core import Registry, resolve_target


        def main():
            Registry().register("x")
            return resolve_target("y")


        def register():
            pass
        """,
}


def test_a_qualified_name_gets_docstring_code_and_neighbours(workspace: Workspace) -> None:
    engine = workspace.indexed(FILES)
    found = engine.describe("pkg.core.resolve_target")
    assert (found.total, found.suggestions) == (1, [])
    (detail,) = found.symbols
    assert detail.symbol.qualname == "pkg.core.resolve_target"
    assert detail.docstring == "Find where a call goes."
    assert detail.code.splitlines()[0] == "def resolve_target(name):"
    assert detail.code_start_line == 3 and not detail.truncated
    assert [s.qualname for s in detail.callers] == ["pkg.app.main", "pkg.core.Registry.register"]
    assert detail.caller_count == 2
    assert "os.path.join" in [s.qualname for s in detail.callees]


def test_a_class_is_its_outline(workspace: Workspace) -> None:
    engine = workspace.indexed(FILES)
    (detail,) = engine.describe("Registry").symbols
    assert "def register(self, item): ..." in detail.code
    assert "return resolve_target" not in detail.code


def test_a_shared_bare_name_describes_each_definition_up_to_the_limit(
    workspace: Workspace,
) -> None:
    engine = workspace.indexed(FILES)
    both = engine.describe("register")
    assert both.total == 2
    assert sorted(d.symbol.qualname for d in both.symbols) == [
        "pkg.app.register", "pkg.core.Registry.register"]  # fmt: skip
    one = engine.describe("register", limit=1)
    assert (one.total, len(one.symbols), len(one.suggestions)) == (2, 1, 1)


def test_an_unknown_name_answers_with_close_matches(workspace: Workspace) -> None:
    engine = workspace.indexed(FILES)
    found = engine.describe("resolve_targt")
    assert (found.symbols, found.total) == ([], 0)
    assert found.suggestions == ["pkg.core.resolve_target"]


def test_code_is_cut_at_a_line_boundary(workspace: Workspace) -> None:
    engine = workspace.indexed(FILES)
    (detail,) = engine.describe("resolve_target", max_code_chars=40).symbols
    assert detail.truncated
    assert detail.code == "def resolve_target(name):"
