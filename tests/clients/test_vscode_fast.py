"""The VS Code extension's fast tier: its `node --test` files run the real
vscode-languageclient, in plain Node with a stand-in `vscode` module, against the real
`kenning serve` on a fresh copy of the server tests' project (see
`vscode-extension/test/harness.ts`). One pytest test per test file.

They need `vscode-extension/node_modules` (`make vscode-setup`). Without it they are
skipped, unless `KENNING_REQUIRE_EDITORS=1` (CI sets it): then they fail.

Also here, with no Node needed: every setting of the server is a VS Code setting of the
extension, so a new server setting cannot be forgotten in package.json.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from helpers import kenning_env, run_group
from kenning.core.settings import Settings
from server.conftest import make_project

# The extension's tests in a real VS Code extension host (Node), each starting the
# server: the slow tier (`pytest -m "not slow"` skips it).
pytestmark = pytest.mark.slow

EXTENSION = Path(__file__).resolve().parents[2] / "vscode-extension"
TEST_FILES = sorted(p.name.removesuffix(".ts") for p in (EXTENSION / "test").glob("*.test.ts"))
# One file's whole run: its server starts (four for settings.test) and the model's load.
FILE_TIMEOUT = 180
# Keys of the extension's own, not the server's.
CLIENT_SETTINGS = {"kenning.server.command", "kenning.server.env", "kenning.trace.server"}


def require_node_modules() -> None:
    """Skip (or, where editors are required, fail) without Node or the npm packages."""
    missing = None
    if shutil.which("node") is None or shutil.which("npm") is None:
        missing = "node and npm are not on PATH"
    elif not (EXTENSION / "node_modules").is_dir():
        missing = f"{EXTENSION / 'node_modules'} is missing: run `make vscode-setup`"
    if missing is None:
        return
    if os.environ.get("KENNING_REQUIRE_EDITORS") == "1":
        pytest.fail(f"KENNING_REQUIRE_EDITORS=1 but {missing}")
    pytest.skip(f"the VS Code extension's tests need Node: {missing}")


def run(command: list[str], env: dict[str, str], timeout: float) -> tuple[int, str]:
    """A command in the extension's folder, in its own process group (a timeout kills
    Node and the servers it started); its exit status and output."""
    done = run_group(command, cwd=EXTENSION, env=env, timeout=timeout, label=" ".join(command),
                     merge_output=True)  # fmt: skip
    return done.returncode, done.stdout


@pytest.fixture(scope="module")
def built() -> None:
    """The extension compiled (tests) and bundled (out/extension.js), once."""
    require_node_modules()
    status, output = run(["npm", "run", "build"], dict(os.environ), 120)
    assert status == 0, f"npm run build failed\n{output}"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project every test file copies (each session gets its own copy)."""
    return make_project(tmp_path_factory.mktemp("vscode-template") / "project")


@pytest.mark.parametrize("name", TEST_FILES)
def test_vscode_fast(name: str, built: None, template: Path, tmp_path: Path) -> None:
    env = kenning_env(
        KENNING_PYTHON=sys.executable,
        KENNING_TEST_PROJECT=str(template),
        KENNING_TEST_TMP=str(tmp_path),
    )
    command = ["node", "--test", "--test-force-exit", f"out/test/{name}.js"]
    status, output = run(command, env, FILE_TIMEOUT)
    passed = re.search(r"^# pass (\d+)$", output, re.M)
    failed = re.search(r"^# fail (\d+)$", output, re.M)
    assert status == 0 and failed and failed.group(1) == "0", output
    assert passed and int(passed.group(1)) > 0, f"no test passed\n{output}"


def setting_keys(struct: type[msgspec.Struct], prefix: str = "kenning.") -> set[str]:
    """The dotted wire names of a settings struct, nested structs expanded."""
    keys: set[str] = set()
    for field in msgspec.structs.fields(struct):
        name = f"{prefix}{field.encode_name}"
        if isinstance(field.type, type) and issubclass(field.type, msgspec.Struct):
            keys |= setting_keys(field.type, f"{name}.")
        else:
            keys.add(name)
    return keys


def test_every_server_setting_is_a_vscode_setting() -> None:
    manifest: dict[str, Any] = json.loads((EXTENSION / "package.json").read_text())
    contributed = set(manifest["contributes"]["configuration"]["properties"])
    assert contributed - CLIENT_SETTINGS == setting_keys(Settings)


def test_the_vscode_defaults_are_the_servers() -> None:
    """package.json shows users the server's defaults (it does not send them)."""
    properties = json.loads((EXTENSION / "package.json").read_text())["contributes"][
        "configuration"
    ]["properties"]
    defaults = msgspec.json.decode(msgspec.json.encode(Settings()))
    for key in setting_keys(Settings):
        value: Any = defaults
        for part in key.removeprefix("kenning.").split("."):
            value = value[part]
        assert properties[key]["default"] == value, key
