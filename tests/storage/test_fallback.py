"""When the bulk COPY path fails, the same rows go in through UNWIND and nothing is lost."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from helpers import IN_PROCESS, Workspace, snapshot
from kenning.core.settings import Settings
from kenning.storage.graph import GraphStore

FILES = {
    "zoo/__init__.py": "from .animals import Animal\n",
    "zoo/animals.py": """
        class Animal:
            def speak(self):
                return self.sound()

            def sound(self):
                return "..."


        class Dog(Animal):
            def sound(self):
                return "woof"
        """,
    "zoo/keeper.py": """
        from zoo import Animal
        from zoo.animals import Dog
        import os


        def feed(animal: Animal):
            Dog().speak()
            os.getcwd()
            mystery()
        """,
}
EDIT = {
    "zoo/keeper.py": """
        from zoo.animals import Dog


        def feed():
            Dog().sound()
            walk()


        def walk():
            pass
        """
}
EAGER = Settings(parse_workers=1, bulk_threshold=1)


def break_copy(monkeypatch: pytest.MonkeyPatch, failing_table: str) -> list[str]:
    """Make COPY into `failing_table` raise (after the tables before it were copied)."""
    copied: list[str] = []
    real_copy = GraphStore._copy

    def copy(self: GraphStore, table: str, data: pa.Table) -> None:
        if table == failing_table:
            raise RuntimeError(f"COPY into {table} failed (injected by the test)")
        real_copy(self, table, data)
        copied.append(table)

    monkeypatch.setattr(GraphStore, "_copy", copy)
    return copied


def comparable(state: dict) -> dict:
    del state["status"]["workspace"], state["status"]["index"]
    return state


def reference(tmp_path: Path, settings: Settings, edit: bool) -> dict:
    """The index the normal (COPY) path builds for the same files."""
    ws = Workspace(tmp_path / "reference")
    ws.root.mkdir()
    try:
        engine = ws.indexed(FILES, settings)
        if edit:
            report = engine.apply_changes([(p, s) for p, s in EDIT.items()])
            assert report.graph_write == "copy"
        return comparable(snapshot(engine))
    finally:
        ws.close_all()


# One node table and one edge table in the developer's loop, every table in the slow tier.
@pytest.mark.parametrize(
    "failing_table",
    [
        "Symbol",
        "CALLS",
        pytest.param("File", marks=pytest.mark.slow),
        pytest.param("DEFINES", marks=pytest.mark.slow),
        pytest.param("INHERITS", marks=pytest.mark.slow),
    ],
)
def test_full_index_falls_back_to_unwind(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_table: str
) -> None:
    expected = reference(tmp_path, IN_PROCESS, edit=False)
    break_copy(monkeypatch, failing_table)

    workspace.write(FILES)
    engine = workspace.open()
    report = engine.index()

    assert report.graph_write == "unwind"
    assert comparable(snapshot(engine)) == expected


@pytest.mark.parametrize(
    "failing_table",
    [
        "CALLS",
        pytest.param("DEFINES", marks=pytest.mark.slow),
        pytest.param("IMPORTS", marks=pytest.mark.slow),
    ],
)
def test_incremental_batch_falls_back_to_unwind(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_table: str
) -> None:
    expected = reference(tmp_path, EAGER, edit=True)
    engine = workspace.indexed(FILES, EAGER)
    copied = break_copy(monkeypatch, failing_table)

    report = engine.apply_changes([(p, s) for p, s in EDIT.items()])

    assert report.graph_write == "unwind"
    assert report.changed == ["zoo/keeper.py"]
    # The rows copied before the failure were rolled back, not left doubled.
    assert copied or failing_table == "DEFINES"
    assert comparable(snapshot(engine)) == expected
