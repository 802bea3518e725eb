"""Which file a module name belongs to when several files claim it (a `.pyi` stub
beside its module): the first keeps it, and it passes to another claimant when that
file leaves, never to a file that does not claim it."""

from __future__ import annotations

from kenning.resolve.model import WorkspaceModel


def test_a_module_name_passes_to_the_next_claimant_when_its_file_leaves() -> None:
    model = WorkspaceModel()
    model.add_file_row("pkg/mod.py", "pkg.mod")
    model.add_file_row("pkg/mod.pyi", "pkg.mod")
    model.add_file_row("pkg/other.py", "pkg.other")
    assert model.modules["pkg.mod"] == "pkg/mod.py"
    model.remove_file("pkg/mod.py")
    assert model.modules["pkg.mod"] == "pkg/mod.pyi"
    model.add_file_row("pkg/mod.py", "pkg.mod")
    assert model.modules["pkg.mod"] == "pkg/mod.pyi"
    model.remove_file("pkg/mod.py")  # not the holder: nothing moves
    assert model.modules["pkg.mod"] == "pkg/mod.pyi"
    model.remove_file("pkg/mod.pyi")
    assert "pkg.mod" not in model.modules
    assert model.modules == {"pkg.other": "pkg/other.py"}


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
