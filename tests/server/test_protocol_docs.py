"""`docs/protocol.md` documents every struct of `kenning.server.protocol`, field by
field, and every method and command: a change to one without the other fails here."""

from __future__ import annotations

import re
from pathlib import Path

from kenning.server import protocol
from server.protocol_tables import rows, structs

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def documented_tables(text: str) -> dict[str, list[tuple[str, str, str]]]:
    """`### Name` sections of the doc -> the (field, type, required) of their tables."""
    tables: dict[str, list[tuple[str, str, str]]] = {}
    current: list[tuple[str, str, str]] | None = None
    for line in text.splitlines():
        heading = re.match(r"### (\w+)\s*$", line)
        if heading:
            current = tables.setdefault(heading.group(1), [])
        elif current is not None and line.startswith("| `"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            current.append((cells[0], cells[1], cells[2]))
    return tables


def test_every_struct_is_documented_field_by_field() -> None:
    documented = documented_tables(DOC.read_text())
    wire = {cls.__name__: rows(cls) for cls in structs()}
    assert sorted(documented) == sorted(wire), "structs documented vs declared"
    for name, fields in wire.items():
        assert documented[name] == fields, f"docs/protocol.md is out of date for {name}"


def test_every_method_and_command_is_documented() -> None:
    text = DOC.read_text()
    for method in protocol.REQUESTS:
        row = f"| `{method.name}` | `{method.params.__name__}`"
        assert row in text, f"{method.name} is not in the requests table"
        assert f"`{method.result.__name__}` |" in text
    assert f"`{protocol.STATUS_NOTIFICATION}` carries a `StatusResult`" in text
    for command in protocol.COMMANDS:
        assert f"| `{command}` |" in text, f"{command} is not in the commands table"


def test_the_check_sees_a_drifted_field() -> None:
    """The table parser really reads the doc: renaming a field there is caught."""
    text = DOC.read_text().replace("| `pathGlobs` |", "| `paths` |")
    tables = documented_tables(text)
    assert tables["SearchFilters"] != rows(protocol.SearchFilters)
