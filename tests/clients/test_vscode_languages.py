"""The VS Code extension opens the languages the server indexes, and no others.

`vscode-extension/src/languages.ts` mirrors the language registry; the extension's
document selector is built from it, and package.json activates on the same language
ids and on workspaces holding files with the same suffixes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from kenning.languages import language_ids, suffixes

EXTENSION = Path(__file__).resolve().parents[2] / "vscode-extension"


def ts_list(name: str) -> list[str]:
    text = (EXTENSION / "src" / "languages.ts").read_text(encoding="utf-8")
    match = re.search(rf"export const {name}: readonly string\[\] = \[(.*?)\];", text, re.S)
    assert match, f"{name} is missing from languages.ts"
    return re.findall(r"'([^']*)'", match.group(1))


def test_language_ids_mirror_the_registry() -> None:
    assert ts_list("LANGUAGE_IDS") == language_ids()


def test_file_suffixes_mirror_the_registry() -> None:
    assert ts_list("FILE_SUFFIXES") == suffixes()


def test_the_extension_activates_for_every_language() -> None:
    manifest = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    events = manifest["activationEvents"]
    on_language = sorted(
        e.removeprefix("onLanguage:") for e in events if e.startswith("onLanguage:")
    )
    contains = sorted(
        e.removeprefix("workspaceContains:**/*")
        for e in events
        if e.startswith("workspaceContains:**/*.")
    )
    assert on_language == language_ids()
    assert contains == suffixes()


def test_the_document_selector_is_built_from_the_mirror() -> None:
    server = (EXTENSION / "src" / "server.ts").read_text(encoding="utf-8")
    assert "documentSelector: LANGUAGE_IDS.map(" in server
    assert "language: 'python'" not in server
