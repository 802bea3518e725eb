"""Phase 2 from the command line: `kenning index` embeds, `kenning embed` resumes (also
after a kill -9), `kenning status` reports it."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from helpers import Workspace, kenning_env
from helpers import run_kenning as run
from kenning.pipeline.embedder import TRACE_ENV

from .conftest import traced_hashes

# End to end through real processes: the slow tier (`pytest -m "not slow"` skips it).
pytestmark = pytest.mark.slow

FILES = {
    "billing/__init__.py": "",
    "billing/invoices.py": '''
        def render_invoice(order):
            """Turn an order into a printable invoice."""
            lines = [f"{item.name}: {item.price}" for item in order.items]
            return "\\n".join(lines)


        def send_reminder(customer):
            customer.email("Your invoice is overdue")
        ''',
}


def test_index_embeds_and_status_reports_it(workspace: Workspace) -> None:
    workspace.write(FILES)
    phase1 = run(workspace.root, "index", "--no-embeddings", "--no-optimize")
    assert phase1.returncode == 0, phase1.stderr
    assert "embedded" not in phase1.stdout
    status = run(workspace.root, "status")
    assert "embedding  not started" in status.stdout
    search = run(workspace.root, "search", "overdue payment email")
    assert "no embeddings yet" in search.stderr

    embed = run(workspace.root, "embed", "--no-optimize")
    assert embed.returncode == 0, embed.stderr
    # Two chunks' texts and their two functions' descriptions.
    assert "embedded 4 of 4 texts with all-MiniLM-L6-v2@" in embed.stdout
    assert "(4 this run, " in embed.stdout
    status = run(workspace.root, "status", "--json")
    emb = json.loads(status.stdout)["embedding"]
    assert (emb["done"], emb["total"], emb["pending"], emb["failed"]) == (4, 4, 0, 0)
    assert emb["last_run"]["state"] == "finished" and emb["last_run"]["throughput"] > 0
    human = run(workspace.root, "status").stdout
    assert "embedding  4 of 4 texts (100%), 0 pending, 0 failed" in human
    search = run(workspace.root, "search", "--json", "overdue payment email", "-n", "1")
    result = json.loads(search.stdout)
    assert result["vectorsComplete"] is True
    assert result["hits"][0]["symbol"] == "billing.invoices.send_reminder"

    # `index` embeds by default, and has nothing left to do here.
    again = run(workspace.root, "index", "--json", "--no-optimize")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["mode"] == "unchanged"
    assert report["embedding"]["done"] == 4
    # Nor does `embed`, which says so without the last run's count as its own.
    idle = run(workspace.root, "embed", "--no-optimize")
    assert idle.returncode == 0, idle.stderr
    assert "embedded 4 of 4 texts with all-MiniLM-L6-v2@" in idle.stdout
    assert "this run" not in idle.stdout


def many_functions(count: int) -> str:
    return "\n\n".join(
        f"def handler_{i}(event):\n"
        f'    """Handle event number {i} of the {i % 7} kind."""\n'
        f"    total = event.value * {i}\n"
        f"    return total + {i * 3} if total > {i} else total - {i}\n"
        for i in range(count)
    )


def done_hashes(status_db: Path) -> set[str]:
    db = sqlite3.connect(f"file:{status_db}?mode=ro", uri=True)
    try:
        return {h for (h,) in db.execute("SELECT text_hash FROM texts WHERE status = 'done'")}
    except sqlite3.OperationalError:  # the table is being created
        return set()
    finally:
        db.close()


def embed_until(
    root: Path, status_db: Path, done: int, env: dict[str, str]
) -> subprocess.Popen[str]:
    """Start `kenning embed` (one thread, so it takes a while) and return it, still
    running, once at least `done` texts are embedded."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kenning", "embed", "--no-optimize", "--threads", "1"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if status_db.exists() and len(done_hashes(status_db)) >= done:
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"embedding finished before {done} texts were done"
    return proc


def test_kill_9_during_embedding_then_resume(workspace: Workspace, tmp_path: Path) -> None:
    workspace.write({"events.py": many_functions(240)})
    trace = tmp_path / "trace.txt"
    env = kenning_env(**{TRACE_ENV: str(trace)})
    assert run(workspace.root, "index", "--no-embeddings").returncode == 0
    status_db = workspace.root / ".kenning" / "embed-status.sqlite"

    proc = embed_until(workspace.root, status_db, 64, env)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    done_at_kill = done_hashes(status_db)
    embedded_before = traced_hashes(trace)
    assert 64 <= len(done_at_kill) < 480  # 240 chunk texts, 240 descriptions

    resumed = run(workspace.root, "embed", "--no-optimize", **{TRACE_ENV: str(trace)})
    assert resumed.returncode == 0, resumed.stderr
    assert "embedded 480 of 480 texts" in resumed.stdout
    status = json.loads(run(workspace.root, "status", "--json").stdout)["embedding"]
    assert (status["done"], status["pending"], status["failed"]) == (480, 0, 0)

    counts = Counter(traced_hashes(trace))
    assert set(counts) == done_hashes(status_db)
    twice = {h for h, n in counts.items() if n > 1}
    # Nothing finished before the kill was embedded again; only the batch in flight.
    assert not twice & done_at_kill
    assert all(n <= 2 for n in counts.values())
    assert len(twice) <= 16  # embedding.batchSize
    assert twice <= set(embedded_before)


def test_ctrl_c_stops_after_the_batch_in_flight_and_keeps_finished_work(
    workspace: Workspace,
) -> None:
    workspace.write({"events.py": many_functions(240)})
    assert run(workspace.root, "index", "--no-embeddings").returncode == 0
    status_db = workspace.root / ".kenning" / "embed-status.sqlite"
    proc = embed_until(workspace.root, status_db, 32, kenning_env())
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)

    assert proc.returncode == 130, stderr
    assert "embedding stopped;" in stderr and "`kenning embed` resumes" in stderr
    assert "Traceback" not in stderr
    status = json.loads(run(workspace.root, "status", "--json").stdout)["embedding"]
    # Nothing was left half-done: every text is done or still pending.
    assert status["done"] == len(done_hashes(status_db)) >= 32
    assert status["done"] + status["pending"] == 480  # chunk texts and descriptions
    db = sqlite3.connect(f"file:{status_db}?mode=ro", uri=True)
    assert db.execute("SELECT count(*) FROM texts WHERE status = 'in_progress'").fetchone() == (0,)
    db.close()
    assert status["last_run"]["state"] == "stopped"


def test_a_script_that_never_closes_its_engine_still_exits(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.write(FILES)
    script = tmp_path / "script.py"
    script.write_text(
        "import sys\n"
        "from pathlib import Path\n"
        "from kenning.core.settings import EmbeddingSettings, Settings\n"
        "from kenning.engine import Engine\n"
        "settings = Settings(parse_workers=1, embedding=EmbeddingSettings(optimize=False))\n"
        "engine = Engine.open(Path(sys.argv[1]), settings)\n"
        "engine.index()\n"
        "print(engine.embed().state)\n"
    )
    done = subprocess.run(
        [sys.executable, str(script), str(workspace.root)],
        env=kenning_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "idle"


def test_a_model_that_cannot_load_is_a_clear_error_and_keeps_phase_1(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.write(FILES)
    missing = tmp_path / "no-such-model"
    done = run(workspace.root, "index", "--model", str(missing))
    assert done.returncode == 1
    assert done.stderr.startswith("kenning: embedding stopped: ")
    assert "no-such-model" in done.stderr and "Traceback" not in done.stderr
    # Phase 1 was kept: text and symbol search work.
    search = run(workspace.root, "search", "--json", "send_reminder")
    assert search.returncode == 0, search.stderr
    assert json.loads(search.stdout)["hits"][0]["symbol"] == "billing.invoices.send_reminder"
