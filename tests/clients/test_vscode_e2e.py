"""The kenning VS Code extension in a real VS Code (code-server 4.100.3, VS Code 1.100.3),
driven end to end.

Each session: a fresh copy of the server tests' project, code-server with its own
user-data and extensions folders holding the kenning extension (the vsix) and the probe
extension of `vscode-extension/e2e/test-extension`, and headless Chromium showing the
workbench, which is what starts the extension host. The probe runs kenning's commands
through the VS Code API (`kenning.searchCode` accepted as Enter would, the call
hierarchy through `vscode.prepareCallHierarchy`, impact, reindex, pause and resume, a
restart) and writes what it saw as JSON; the tests here assert on that file and on the
extension host's logs. Two sessions: one without embeddings for the commands, one with
them for pausing and resuming embedding and a search with vectors.

code-server is installed by `vscode-extension/scripts/install-code-server.sh`, the vsix
built by `make vsix`. Without them (or without Chromium) these tests skip, unless
KENNING_REQUIRE_EDITORS=1 (as in CI) makes that a failure. See docs/vscode-e2e.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

from helpers import kenning_env
from server.conftest import make_project

# End to end through real processes: the slow tier (`pytest -m "not slow"` skips it).
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CODE_SERVER_VERSION = "4.100.3"
CODE_SERVER_DIR = Path(
    os.environ.get("KENNING_CODE_SERVER_DIR")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "kenning"
    / f"code-server-{CODE_SERVER_VERSION}"
)
CODE_SERVER = CODE_SERVER_DIR / "bin" / "code-server"
# Written by the install script only once the install works.
CODE_SERVER_STAMP = CODE_SERVER_DIR / ".kenning-installed"
VSIX = Path(os.environ.get("KENNING_VSIX") or REPO / "vscode-extension" / "kenning.vsix")
PROBE = REPO / "vscode-extension" / "e2e" / "test-extension"
SCREENSHOT = REPO / "vscode-extension" / "e2e" / "screenshot.mjs"
CHROMIUM = shutil.which("chromium")
REQUIRED = os.environ.get("KENNING_REQUIRE_EDITORS") == "1"

SERVER = [sys.executable, "-m", "kenning", "serve"]
# From starting code-server to the probe's last finding; a session takes 15-30 s.
SESSION_TIMEOUT = 150
STARTUP_TIMEOUT = 30
# The probe's steps (see extension.js), in order: a session without embeddings runs
# everything through the extension's commands and the language client ...
REQUEST_STEPS = [
    "activate",
    "idle",
    "client",
    "search",
    "incoming_calls",
    "outgoing_calls",
    "show_callers",
    "show_callees",
    "impact",
    "reindex_workspace",
    "reindex_file",
    "idle_after_reindex",
    "pause_resume",
    "show_status",
    "restart_server",
]
# ... and one with them (the default) pauses and resumes embedding, then searches.
EMBEDDING_STEPS = ["activate", "pause_while_embedding", "search"]
# User settings: nothing that phones home, updates or pops up over the probe's work.
USER_SETTINGS = {
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoUpdate": False,
    "extensions.autoCheckUpdates": False,
    "extensions.ignoreRecommendations": True,
    "workbench.enableExperiments": False,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "security.workspace.trust.enabled": False,
    "git.enabled": False,
}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
    # The workbench's console messages go to stderr, i.e. chromium.log.
    "--enable-logging=stderr",
    # For screenshot.mjs; Chromium picks the port and writes it to DevToolsActivePort.
    "--remote-debugging-port=0",
]
LOG_TAIL = 6000


def missing() -> list[str]:
    """Why this machine cannot run the session, if it cannot."""
    reasons = []
    if not CODE_SERVER_STAMP.exists() or not CODE_SERVER.exists():
        reasons.append(
            f"no code-server {CODE_SERVER_VERSION} in {CODE_SERVER_DIR} "
            "(run vscode-extension/scripts/install-code-server.sh)"
        )
    if not VSIX.exists():
        reasons.append(f"no extension package at {VSIX} (run `make vsix` or set KENNING_VSIX)")
    if CHROMIUM is None:
        reasons.append("no chromium on PATH (apt-get install chromium)")
    return reasons


def pack_vsix(folder: Path, target: Path) -> Path:
    """`folder` (an extension with a package.json) as a .vsix: a zip whose `extension/`
    holds the files, with the manifest VS Code's installer reads. No build step or vsce
    needed for the plain-JS probe."""
    manifest = json.loads((folder / "package.json").read_text())
    vsixmanifest = f"""<?xml version="1.0" encoding="utf-8"?>
<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011">
  <Metadata>
    <Identity Language="en-US" Id="{manifest["name"]}" Version="{manifest["version"]}"
              Publisher="{manifest["publisher"]}" />
    <DisplayName>{manifest.get("displayName", manifest["name"])}</DisplayName>
    <Description xml:space="preserve">{manifest.get("description", "")}</Description>
    <Properties>
      <Property Id="Microsoft.VisualStudio.Code.Engine" Value="{manifest["engines"]["vscode"]}" />
    </Properties>
  </Metadata>
  <Installation><InstallationTarget Id="Microsoft.VisualStudio.Code" /></Installation>
  <Dependencies />
  <Assets>
    <Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json"
           Addressable="true" />
  </Assets>
</PackageManifest>
"""
    content_types = """<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension=".json" ContentType="application/json" />
  <Default Extension=".js" ContentType="application/javascript" />
  <Default Extension=".vsixmanifest" ContentType="text/xml" />
</Types>
"""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as vsix:
        vsix.writestr("extension.vsixmanifest", vsixmanifest)
        vsix.writestr("[Content_Types].xml", content_types)
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                vsix.write(path, f"extension/{path.relative_to(folder).as_posix()}")
    return target


@dataclass
class Session:
    """What one code-server session left: the probe's findings and every log."""

    root: Path
    base: Path
    seconds: float
    findings: dict[str, Any]
    logs: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, step: str) -> Any:
        finding = self.findings.get("steps", {}).get(step)
        assert finding is not None, f"the probe reported no {step!r} step\n{self.output()}"
        assert "error" not in finding, f"step {step!r} failed in VS Code\n{self.output()}"
        return finding["result"]

    def output(self) -> str:
        parts = [f"--- session of {self.seconds:.1f} s in {self.base}"]
        parts.append(f"--- the workbench at the end: {self.base / 'workbench.png'}")
        parts.append("--- findings\n" + json.dumps(self.findings, indent=1)[-3 * LOG_TAIL :])
        for name, text in self.logs.items():
            parts.append(f"--- {name}\n{text[-LOG_TAIL:]}")
        return "\n".join(parts)

    def log_files(self, pattern: str) -> dict[str, str]:
        return {name: text for name, text in self.logs.items() if re.search(pattern, name)}


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ends `process` and everything in its process group (the extension host, the
    kenning server, Chromium's helpers): politely, then not."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    # Children outlive a leader that went first: the group is still there.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def start(argv: list[str], log: IO[bytes], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # Its own process group, so that stop() reaches every child.
    return subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
        start_new_session=True,
    )  # fmt: skip


def wait_for(predicate: Any, timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def screenshot(base: Path) -> str:
    """A PNG of the workbench as the running Chromium shows it, in base/workbench.png;
    returns what the script said."""
    port_file = base / "chromium" / "DevToolsActivePort"
    if not port_file.exists():
        return "Chromium wrote no DevToolsActivePort"
    node = ["node", "--experimental-websocket", "--no-warnings", str(SCREENSHOT)]
    try:
        done = subprocess.run(
            [*node, str(port_file), str(base / "workbench.png")],
            capture_output=True, text=True, timeout=20,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return "screenshot.mjs took more than 20 s"
    return done.stdout + done.stderr


def collect_logs(base: Path) -> dict[str, str]:
    """code-server's and Chromium's output, VS Code's server and extension host logs,
    and every log of kenning's own (its output channels)."""
    logs = {}
    for name in ("code-server.log", "chromium.log", "install.log", "screenshot.log"):
        path = base / name
        if path.exists():
            text = path.read_text(errors="replace")
            if name == "chromium.log":
                # Headless Chromium without a session bus complains on every start.
                text = "\n".join(line for line in text.splitlines() if "dbus" not in line)
            logs[name] = text
    for path in sorted((base / "user-data" / "logs").rglob("*.log")):
        relative = path.relative_to(base / "user-data" / "logs").as_posix()
        if re.search(r"remoteagent|exthost\.log|remoteexthost|kenning", relative, re.I):
            logs[relative] = path.read_text(errors="replace")
    return logs


def run_session(base: Path, *, embedding: bool, steps: list[str]) -> Session:
    """One code-server session on a fresh project, the probe running `steps`."""
    root = make_project(base / "project")
    (root / ".vscode").mkdir()
    workspace_settings = {"kenning.server.command": SERVER, "kenning.embedding.enabled": embedding}
    (root / ".vscode" / "settings.json").write_text(json.dumps(workspace_settings, indent=2))
    user_data, extensions = base / "user-data", base / "extensions"
    (user_data / "User").mkdir(parents=True)
    (user_data / "User" / "settings.json").write_text(json.dumps(USER_SETTINGS, indent=2))
    out = base / "findings.json"
    xdg = {f"XDG_{kind}_HOME": str(base / "xdg" / kind.lower()) for kind in ("CONFIG", "DATA")}
    env = kenning_env(KENNING_E2E_OUT=str(out), KENNING_E2E_STEPS=",".join(steps), **xdg)
    isolation = [f"--user-data-dir={user_data}", f"--extensions-dir={extensions}"]

    probe = pack_vsix(PROBE, base / "kenning-e2e.vsix")
    installs = ["--install-extension", str(VSIX), "--install-extension", str(probe)]
    install = subprocess.run(
        [str(CODE_SERVER), *isolation, *installs],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    (base / "install.log").write_text(install.stdout + install.stderr)
    assert install.returncode == 0, (
        f"installing the extensions failed\n{install.stdout}\n{install.stderr}"
    )

    started = time.monotonic()
    findings: dict[str, Any] = {}
    with ExitStack() as cleanup:
        server_log = cleanup.enter_context((base / "code-server.log").open("wb"))
        # Port 0: the system picks a free one, which the log then names.
        flags = ["--bind-addr=127.0.0.1:0", "--auth=none", "--disable-telemetry"]
        flags += ["--disable-update-check", "--disable-workspace-trust"]
        config = f"--config={base / 'config.yaml'}"
        server = start([str(CODE_SERVER), *isolation, config, *flags, str(root)], server_log, env)
        cleanup.callback(stop, server)
        listening = re.compile(r"HTTP server listening on (http://127\.0\.0\.1:\d+/)")
        url: list[str] = []

        def ready() -> bool:
            found = listening.search((base / "code-server.log").read_text(errors="replace"))
            if found:
                url.append(found.group(1))
            return bool(found) or server.poll() is not None

        if wait_for(ready, STARTUP_TIMEOUT) and url:
            chromium_log = cleanup.enter_context((base / "chromium.log").open("wb"))
            chromium_env = {**os.environ, "HOME": str(base / "chromium-home")}
            browser = start(
                [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={base / 'chromium'}", url[0]],
                chromium_log,
                chromium_env,
            )
            cleanup.callback(stop, browser)
            wait_for(
                lambda: out.exists() or server.poll() is not None or browser.poll() is not None,
                SESSION_TIMEOUT,
                every=0.5,
            )
            (base / "screenshot.log").write_text(screenshot(base))
        # No findings file: the probe ran out of time, or code-server or Chromium died.
        if out.exists():
            findings = json.loads(out.read_text())
        elif (partial := Path(f"{out}.partial")).exists():
            findings = {"incomplete": True, **json.loads(partial.read_text())}
        else:
            findings = {"incomplete": True}
    return Session(root, base, time.monotonic() - started, findings, collect_logs(base))


def require_editors() -> None:
    reasons = missing()
    if reasons:
        if REQUIRED:
            pytest.fail("KENNING_REQUIRE_EDITORS=1, but " + "; ".join(reasons))
        pytest.skip("; ".join(reasons))


@pytest.fixture(scope="module")
def requests_session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    """Embeddings off: every command, the call hierarchy, reindex, a restart."""
    require_editors()
    base = tmp_path_factory.mktemp("vscode-requests")
    return run_session(base, embedding=False, steps=REQUEST_STEPS)


@pytest.fixture(scope="module")
def embedding_session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    """Embeddings on: pause while the project embeds, resume, search with vectors."""
    require_editors()
    base = tmp_path_factory.mktemp("vscode-embedding")
    return run_session(base, embedding=True, steps=EMBEDDING_STEPS)


def status_text(text: str) -> str:
    """The status item's text without its leading codicon (`$(database) `)."""
    return re.sub(r"^(\$\([\w~-]+\)\s*)+", "", text)


SESSIONS = {"requests_session": REQUEST_STEPS, "embedding_session": EMBEDDING_STEPS}


@pytest.mark.parametrize("name", SESSIONS)
def test_the_probe_ran_every_step(name: str, request: pytest.FixtureRequest) -> None:
    s: Session = request.getfixturevalue(name)
    assert not s.findings.get("incomplete"), s.output()
    assert "fatal" not in s.findings, s.output()
    assert s.findings.get("finished"), s.output()
    assert s.findings["order"] == SESSIONS[name], s.output()
    # code-server hands its environment on to the extension host.
    assert s.findings["env"]["KENNING_E2E_OUT"] == str(s.base / "findings.json"), s.output()


@pytest.mark.parametrize("name", SESSIONS)
def test_no_errors_in_the_extension_logs(name: str, request: pytest.FixtureRequest) -> None:
    s: Session = request.getfixturevalue(name)
    host = s.log_files(r"exthost\d*/remoteexthost\.log$")
    assert host, s.output()
    # The extension host's errors about kenning: a failed activation, a command that
    # threw.
    errors = [
        line
        for text in host.values()
        for line in text.splitlines()
        if "[error]" in line and "kenning" in line.lower()
    ]
    assert errors == [], s.output()
    # kenning's own output channels: the client's log and the server's stderr.
    own = s.log_files(r"kenning")
    assert own, s.output()
    bad = re.compile(r"\[error\]|Traceback|\bERROR\b")
    problems = [line for text in own.values() for line in text.splitlines() if bad.search(line)]
    assert problems == [], s.output()


def test_the_extension_activates_and_exports_its_api(requests_session: Session) -> None:
    s = requests_session
    found = s["activate"]
    assert found["active"], s.output()
    assert {"languageClient", "statusText"} <= set(found["exports"]), s.output()
    client = s["client"]
    assert client["running"] and client["callHierarchyProvider"], s.output()
    assert client["serverInfo"]["name"] == "kenning", s.output()


def test_the_status_item_reaches_idle(requests_session: Session) -> None:
    s = requests_session
    found = s["idle"]
    assert found["idle"] and found["status"]["phase"] == "idle", s.output()
    assert found["status"]["files"] == 3, s.output()
    assert status_text(found["statusText"]).startswith("kenning: idle"), s.output()
    # Every text it showed on the way names kenning first.
    assert all(status_text(t).startswith("kenning") for t in found["texts"]), s.output()


def test_search_command_opens_the_accepted_hit(requests_session: Session) -> None:
    s = requests_session
    found = s["search"]
    assert "pkg.core.resolve_target" in [h["symbol"] for h in found["hits"]], s.output()
    assert found["from"]["path"] == "pkg/app.py", s.output()
    # Enter on the pick's first item: its file, at its line.
    top = found["hits"][0]
    editor = found["editor"]
    assert (editor["path"], editor["line"]) == (top["path"], top["line"]), s.output()
    command = found["command"]
    assert "error" not in command, s.output()
    # kenning's command resolves to the pick's own SearchResult: the same first hit.
    resolved = command.get("resolved") if isinstance(command, dict) else None
    if isinstance(resolved, dict) and "hits" in resolved:
        assert resolved["hits"][0]["symbol"] == top["symbol"], s.output()


def test_incoming_calls_through_the_language_client(requests_session: Session) -> None:
    s = requests_session
    found = s["incoming_calls"]
    prepared = [(i["name"], i["path"]) for i in found["prepared"]]
    assert prepared == [("resolve_target", "pkg/core.py")], s.output()
    sites = sorted(
        (call["from"]["name"], call["from"]["path"], r["start"]["line"], r["start"]["character"])
        for call in found["incoming"]
        for r in call["fromRanges"]
    )
    # main's call in app.py line 7, Registry.register's in core.py line 13.
    expected = [("main", "pkg/app.py", 6, 11), ("register", "pkg/core.py", 12, 15)]
    assert sites == expected, s.output()


def test_outgoing_calls_through_the_language_client(requests_session: Session) -> None:
    s = requests_session
    found = s["outgoing_calls"]
    assert [i["name"] for i in found["prepared"]] == ["main"], s.output()
    callees = sorted(call["to"]["name"] for call in found["outgoing"])
    assert callees == ["Registry", "register", "resolve_target"], s.output()


@pytest.mark.parametrize(
    ("step", "title", "root", "children"),
    [
        ("show_callers", "Callers Of", "resolve_target", ["main", "register"]),
        ("show_callees", "Calls From", "main", ["Registry", "register", "resolve_target"]),
    ],
)
def test_call_hierarchy_commands_fill_the_view(
    requests_session: Session, step: str, title: str, root: str, children: list[str]
) -> None:
    # VS Code's call hierarchy view (the built-in references-view extension), read back
    # through that extension's API: the symbol at the cursor, its callers or callees.
    s = requests_session
    view = s[step]["view"]
    assert view is not None and view["title"] == title, s.output()
    assert [r["name"] for r in view["roots"]] == [root], s.output()
    assert sorted(view["roots"][0]["children"]) == children, s.output()


def test_impact_command(requests_session: Session) -> None:
    s = requests_session
    found = s["impact"]
    value = found["value"]
    assert value["root"]["name"] == "resolve_target", s.output()
    files = found["files"]
    callers = {(f["path"], c["name"]): c["distance"] for f in files for c in f["callers"]}
    # main and Registry.register call it; helper calls main.
    assert callers == {
        ("pkg/app.py", "main"): 1,
        ("pkg/core.py", "register"): 1,
        ("pkg/app.py", "helper"): 2,
    }, s.output()
    assert value["totalCallers"] == 3, s.output()


def test_reindex_commands(requests_session: Session) -> None:
    s = requests_session
    workspace = s["reindex_workspace"]
    assert workspace["message"] == "reindexed 1 workspace folder(s)", s.output()
    assert workspace["targets"] == [s.root.as_uri()], s.output()
    file = s["reindex_file"]
    assert file["value"]["message"] == "reindexed 1 target(s)", s.output()
    assert file["targets"] == ["pkg/app.py"], s.output()
    after = s["idle_after_reindex"]
    assert after["idle"] and after["status"]["files"] == 3, s.output()


def test_pause_and_resume_with_embeddings_off(requests_session: Session) -> None:
    # The server's answer comes back through the command unchanged.
    s = requests_session
    found = s["pause_resume"]
    assert found["pause"] == {"message": "embedding is off; nothing paused", "targets": []}
    assert found["resume"] == {"message": "embedding is off; nothing resumed", "targets": []}
    assert status_text(found["resumed"]["statusText"]).startswith("kenning: idle"), s.output()


def test_show_status_command(requests_session: Session) -> None:
    requests_session["show_status"]  # ran without throwing (it may wait on the user)


def test_restart_server(requests_session: Session) -> None:
    s = requests_session
    found = s["restart_server"]
    assert found["idle"], s.output()
    assert status_text(found["statusText"]).startswith("kenning: idle"), s.output()
    callers = sorted(call["from"]["name"] for call in found["callers"]["incoming"])
    assert callers == ["main", "register"], s.output()


def test_pause_and_resume_while_embedding(embedding_session: Session) -> None:
    s = embedding_session
    found = s["pause_while_embedding"]
    folder = s.root.as_uri()
    assert found["pause"] == {"message": "embedding paused", "targets": [folder]}, s.output()
    paused = found["paused"]["status"]
    assert [f["embeddingPaused"] for f in paused["folders"]] == [True], s.output()
    assert status_text(found["paused"]["statusText"]).startswith("kenning"), s.output()
    assert found["resume"] == {"message": "embedding resumed", "targets": [folder]}, s.output()
    resumed = found["resumed"]
    assert resumed["idle"], s.output()
    status = resumed["status"]
    assert [f["embeddingPaused"] for f in status["folders"]] == [False], s.output()
    assert (status["embedded"], status["chunks"]) == (12, 7), s.output()  # with descriptions
    # Idle, or every chunk embedded.
    text = status_text(resumed["statusText"])
    assert re.match(r"kenning: (idle|12/12 embedded)", text), s.output()


def test_search_with_vectors(embedding_session: Session) -> None:
    s = embedding_session
    found = s["search"]
    assert found["vectorsComplete"], s.output()
    hits = {h["symbol"]: h for h in found["hits"]}
    assert "vector" in hits["pkg.core.resolve_target"]["sources"], s.output()
    top = found["hits"][0]
    assert (found["editor"]["path"], found["editor"]["line"]) == (top["path"], top["line"]), (
        s.output()
    )
