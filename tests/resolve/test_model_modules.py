"""Which file a module name belongs to when several files claim it (a `.pyi` stub
beside its module, a Go package's files): the lowest path of those claiming it,
whatever order they came in, and never a file that does not claim it. And a name's
definitions in several files are listed in the order of their paths: a resolver that
takes the first takes the one a full index, which adds files in that order, takes."""

from __future__ import annotations

from kenning.core.facts import SymbolKind
from kenning.resolve.model import SymInfo, WorkspaceModel


def test_a_module_name_is_held_by_the_lowest_path_claiming_it() -> None:
    model = WorkspaceModel()
    model.add_file_row("pkg/mod.pyi", "pkg.mod")
    model.add_file_row("pkg/other.py", "pkg.other")
    assert model.modules["pkg.mod"] == "pkg/mod.pyi"
    model.add_file_row("pkg/mod.py", "pkg.mod")  # came later, yet the lower path
    assert model.modules["pkg.mod"] == "pkg/mod.py"
    model.remove_file("pkg/mod.py")
    assert model.modules["pkg.mod"] == "pkg/mod.pyi"
    model.add_file_row("pkg/mod.py", "pkg.mod")  # saved again: it holds the name again
    assert model.modules["pkg.mod"] == "pkg/mod.py"
    model.remove_file("pkg/mod.pyi")  # not the holder: nothing moves
    assert model.modules["pkg.mod"] == "pkg/mod.py"
    model.remove_file("pkg/mod.py")
    assert "pkg.mod" not in model.modules
    assert model.modules == {"pkg.other": "pkg/other.py"}


def test_which_file_holds_a_module_name_does_not_depend_on_their_order() -> None:
    paths = ["p/c.go", "p/a.go", "p/b.go"]
    for order in (paths, sorted(paths), sorted(paths, reverse=True)):
        model = WorkspaceModel()
        for path in order:
            model.add_file_row(path, "example.com/m/p")
        assert model.modules["example.com/m/p"] == "p/a.go"
        model.remove_file("p/a.go")
        assert model.modules["example.com/m/p"] == "p/b.go"


def test_a_file_saved_again_keeps_its_module_name() -> None:
    model = WorkspaceModel()
    model.add_file_row("a.py", "a")
    model.add_file_row("b.py", "b")
    model.remove_file("a.py")
    model.add_file_row("a.py", "a")
    assert model.modules == {"b": "b.py", "a": "a.py"}
    model.remove_file("a.py")
    model.remove_file("b.py")
    assert model.modules == {}


def test_a_names_definitions_are_listed_in_the_order_of_their_paths() -> None:
    def define(model: WorkspaceModel, path: str) -> None:
        model.add_file_row(path, "example.com/m/p")
        model.add_symbol_row(
            SymInfo(f"{path}#run", "run", "p.run", SymbolKind.FUNCTION, f"{path}#", path)
        )

    paths = ["p/run_windows.go", "p/run_linux.go", "p/run_darwin.go"]
    for order in (paths, sorted(paths)):
        model = WorkspaceModel()
        for path in order:
            define(model, path)
        want = [f"{p}#run" for p in sorted(paths)]
        assert model.by_qualname["p.run"] == want
        assert model.by_name["run"] == want
        # Saved again (removed, then added at the end of the files): still in order.
        model.remove_file("p/run_darwin.go")
        define(model, "p/run_darwin.go")
        assert model.by_qualname["p.run"] == want
