"""The embedding status table: what phase 2 has embedded, and what it still owes.

One row per distinct chunk text and model: chunks whose text is the same share the
row, as they share the vector. A row is `pending`, `in_progress` (its batch is in the
model), `done` (its vector is stored) or `error` (its batch failed `max_attempts`
times; `last_error` says why). A text no chunk refers to any more is marked orphaned
rather than deleted, so a revert or a branch switch finds its vector again; orphans are
dropped after a grace period. One row per embedding run records the model, totals,
throughput and times, for `kenning status`.

SQLite rather than LanceDB: the pool updates a few hundred rows per batch, thousands of
times per run. SQLite does that in place and durably (WAL: a kill -9 loses nothing
committed), where every LanceDB write makes a new table version. The embedding pool's
thread opens its own `EmbedStatus`; SQLite's own locking orders its writes against the
engine's. The engine's connection is shared by the threads that use the engine (query
threads reading status, the writer and persist threads queueing new texts): each call
holds the connection alone, so a status read never runs into a write's transaction,
nor into `close` (closing a connection under a running statement crashed the process).
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from kenning.storage.batches import batched

PENDING = "pending"
IN_PROGRESS = "in_progress"
DONE = "done"
ERROR = "error"
STATUSES = (PENDING, IN_PROGRESS, DONE, ERROR)

# Priorities: texts of open files first, then of recently changed files, then the rest.
BACKGROUND = 0
RECENT = 1
OPEN = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS texts (
    model_id    TEXT NOT NULL,
    text_hash   TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',
    priority    INTEGER NOT NULL DEFAULT 0,
    tokens      INTEGER,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    orphaned_at REAL,
    updated_at  REAL NOT NULL,
    PRIMARY KEY (model_id, text_hash)
);
CREATE INDEX IF NOT EXISTS texts_queue ON texts (model_id, status, priority DESC);
CREATE TABLE IF NOT EXISTS runs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id   TEXT NOT NULL,
    state      TEXT NOT NULL,
    started_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    total      INTEGER NOT NULL DEFAULT 0,
    embedded   INTEGER NOT NULL DEFAULT 0,
    failed     INTEGER NOT NULL DEFAULT 0,
    seconds    REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# SQLite's limit on bound parameters is 32766 on current builds; stay well below.
_SQL_BATCH = 900


class Counts(msgspec.Struct, frozen=True, kw_only=True):
    """Texts per status for one model (orphans not counted)."""

    pending: int = 0
    in_progress: int = 0
    done: int = 0
    error: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.in_progress + self.done + self.error

    @property
    def coverage(self) -> float:
        """The share of texts with a vector; 1.0 when there are none to embed."""
        return self.done / self.total if self.total else 1.0


class Run(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    model_id: str
    state: str  # running | finished | stopped | interrupted
    started_at: float
    updated_at: float
    total: int
    embedded: int  # texts embedded by this run
    failed: int
    seconds: float  # time spent in the model

    @property
    def throughput(self) -> float:
        """Texts per second of model time."""
        return self.embedded / self.seconds if self.seconds > 0 else 0.0


class Failure(msgspec.Struct, frozen=True):
    text_hash: str
    attempts: int
    error: str


F = TypeVar("F", bound=Callable[..., Any])


def _serialized(method: F) -> F:
    """Run `method` holding the connection alone (see the module's docstring)."""

    @functools.wraps(method)
    def alone(self: EmbedStatus, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return alone  # type: ignore[return-value]


class EmbedStatus:
    """One connection to the status table of an index."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self._counts: tuple[tuple[str, int, int], Counts] | None = None
        self._lock = threading.RLock()
        if read_only:
            if not path.exists():
                # An index made before phase 2, or never embedded: nothing to report.
                self._db = sqlite3.connect(":memory:", check_same_thread=False)
                self._db.executescript(_SCHEMA)
                return
            self._db = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, timeout=10, check_same_thread=False
            )
        else:
            self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._db.commit()

    @_serialized
    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._db:  # commits, or rolls back on an exception
            yield self._db

    # -- the queue ----------------------------------------------------------------

    @_serialized
    def sync(self, model_id: str, live: Iterable[str], now: float | None = None) -> tuple[int, int]:
        """Make the table match the set of texts chunks hold now: new ones become
        pending, vanished ones orphaned, returning ones un-orphaned. Returns
        (new, orphaned)."""
        now = time.time() if now is None else now
        with self._tx() as db:
            db.execute("CREATE TEMP TABLE IF NOT EXISTS live (text_hash TEXT PRIMARY KEY)")
            db.execute("DELETE FROM live")
            db.executemany("INSERT OR IGNORE INTO live VALUES (?)", ((h,) for h in live))
            before = db.total_changes
            db.execute(
                "INSERT OR IGNORE INTO texts (model_id, text_hash, updated_at) "
                "SELECT ?, text_hash, ? FROM live",
                (model_id, now),
            )
            added = db.total_changes - before
            db.execute(
                "UPDATE texts SET orphaned_at = NULL WHERE model_id = ? "
                "AND orphaned_at IS NOT NULL AND text_hash IN (SELECT text_hash FROM live)",
                (model_id,),
            )
            before = db.total_changes
            db.execute(
                "UPDATE texts SET orphaned_at = ? WHERE model_id = ? AND orphaned_at IS NULL "
                "AND text_hash NOT IN (SELECT text_hash FROM live)",
                (now, model_id),
            )
            orphaned = db.total_changes - before
            db.execute("DELETE FROM live")
        return added, orphaned

    @_serialized
    def add(self, model_id: str, hashes: Iterable[str], priority: int = RECENT) -> int:
        """Queue texts (new ones pending); raise the priority of those still waiting.
        Returns how many were new."""
        now = time.time()
        rows = [(model_id, h, priority, now) for h in set(hashes)]
        with self._tx() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO texts (model_id, text_hash, priority, updated_at) "
                "VALUES (?, ?, ?, ?)",
                rows,
            )
            added = db.total_changes - before
            db.executemany(
                "UPDATE texts SET orphaned_at = NULL, priority = max(priority, ?) "
                "WHERE model_id = ? AND text_hash = ?",
                ((priority, model_id, h) for _, h, _, _ in rows),
            )
        return added

    @_serialized
    def prioritize(self, model_id: str, hashes: Iterable[str], priority: int) -> None:
        with self._tx() as db:
            db.executemany(
                "UPDATE texts SET priority = ? WHERE model_id = ? AND text_hash = ? "
                "AND status = 'pending'",
                ((priority, model_id, h) for h in set(hashes)),
            )

    @_serialized
    def next_pending(self, model_id: str, limit: int) -> list[tuple[str, int | None]]:
        """Up to `limit` pending texts of the highest priority waiting, oldest first:
        (hash, tokens or None)."""
        rows = self._db.execute(
            "SELECT text_hash, tokens FROM texts WHERE model_id = ? AND status = 'pending' "
            "AND orphaned_at IS NULL AND priority = (SELECT max(priority) FROM texts "
            "WHERE model_id = ? AND status = 'pending' AND orphaned_at IS NULL) "
            "ORDER BY rowid LIMIT ?",
            (model_id, model_id, limit),
        ).fetchall()
        return [(h, t) for h, t in rows]

    @_serialized
    def with_status(self, model_id: str, status: str) -> list[str]:
        """Every (not orphaned) text of `model_id` in `status`."""
        rows = self._db.execute(
            "SELECT text_hash FROM texts WHERE model_id = ? AND status = ? AND orphaned_at IS NULL",
            (model_id, status),
        )
        return [h for (h,) in rows]

    @_serialized
    def set_tokens(self, model_id: str, tokens: dict[str, int]) -> None:
        with self._tx() as db:
            db.executemany(
                "UPDATE texts SET tokens = ? WHERE model_id = ? AND text_hash = ?",
                ((n, model_id, h) for h, n in tokens.items()),
            )

    def _set(self, model_id: str, hashes: Sequence[str], sql: str, *args: object) -> None:
        now = time.time()
        with self._tx() as db:
            db.executemany(
                f"UPDATE texts SET {sql}, updated_at = ? WHERE model_id = ? AND text_hash = ?",
                ((*args, now, model_id, h) for h in hashes),
            )

    @_serialized
    def claim(self, model_id: str, hashes: Sequence[str]) -> None:
        """These texts' batch goes into the model now."""
        self._set(model_id, hashes, "status = 'in_progress'")

    @_serialized
    def mark_done(self, model_id: str, hashes: Sequence[str]) -> None:
        """Call only after their vectors are stored."""
        self._set(model_id, hashes, "status = 'done', last_error = NULL")

    @_serialized
    def mark_failed(
        self, model_id: str, hashes: Sequence[str], error: str, max_attempts: int
    ) -> bool:
        """Count a failed attempt: back to pending, or `error` once out of attempts.
        Returns True when the texts are given up on."""
        attempts = 1 + max(
            (
                row[0]
                for row in self._select(
                    "SELECT attempts FROM texts WHERE model_id = ? AND text_hash IN ({})",
                    model_id,
                    hashes,
                )
            ),
            default=0,
        )
        status = ERROR if attempts >= max_attempts else PENDING
        self._set(
            model_id,
            hashes,
            "status = ?, attempts = ?, last_error = ?",
            status,
            attempts,
            error[:2000],
        )
        return status == ERROR

    @_serialized
    def forget(self, model_id: str, hashes: Sequence[str]) -> None:
        """Drop rows whose text no chunk holds (nothing to embed them from)."""
        with self._tx() as db:
            db.executemany(
                "DELETE FROM texts WHERE model_id = ? AND text_hash = ?",
                ((model_id, h) for h in hashes),
            )

    @_serialized
    def recover(self) -> list[tuple[str, str]]:
        """After a crash: the (model, hash) rows left `in_progress`, which the caller
        sets done (vector stored) or pending (`requeue`)."""
        rows = self._db.execute(
            "SELECT model_id, text_hash FROM texts WHERE status = 'in_progress'"
        ).fetchall()
        return [(m, h) for m, h in rows]

    @_serialized
    def requeue(self, model_id: str, hashes: Sequence[str]) -> None:
        self._set(model_id, hashes, "status = 'pending'")

    @_serialized
    def retry_errors(self, model_id: str) -> int:
        """Give failed texts a fresh set of attempts."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE texts SET status = 'pending', attempts = 0 "
                "WHERE model_id = ? AND status = 'error'",
                (model_id,),
            )
        return cur.rowcount

    @_serialized
    def expired_orphans(self, model_id: str, older_than: float) -> list[str]:
        rows = self._db.execute(
            "SELECT text_hash FROM texts WHERE model_id = ? AND orphaned_at IS NOT NULL "
            "AND orphaned_at <= ?",
            (model_id, older_than),
        ).fetchall()
        return [h for (h,) in rows]

    # -- reading ------------------------------------------------------------------

    def _select(self, sql: str, model_id: str, hashes: Sequence[str]) -> Iterator[tuple]:
        for part in batched(hashes, _SQL_BATCH):
            query = sql.format(",".join("?" * len(part)))
            yield from self._db.execute(query, (model_id, *part))

    @_serialized
    def counts(self, model_id: str) -> Counts:
        # Every search asks for the coverage, and counting the live rows reads all of
        # them (100+ ms on a Django-size index under load): answer from the last count
        # while nothing has written the table since, by this connection (total_changes)
        # or by any other (data_version changes when another connection commits).
        (data_version,) = self._db.execute("PRAGMA data_version").fetchone()
        key = (model_id, data_version, self._db.total_changes)
        if self._counts is not None and self._counts[0] == key:
            return self._counts[1]
        counts = self._count(model_id)
        self._counts = (key, counts)
        return counts

    def _count(self, model_id: str) -> Counts:
        rows = self._db.execute(
            "SELECT status, count(*) FROM texts WHERE model_id = ? AND orphaned_at IS NULL "
            "GROUP BY status",
            (model_id,),
        ).fetchall()
        return Counts(**{status: n for status, n in rows if status in STATUSES})

    @_serialized
    def failures(self, model_id: str, limit: int = 20) -> list[Failure]:
        rows = self._db.execute(
            "SELECT text_hash, attempts, coalesce(last_error, '') FROM texts "
            "WHERE model_id = ? AND status = 'error' AND orphaned_at IS NULL "
            "ORDER BY updated_at DESC LIMIT ?",
            (model_id, limit),
        ).fetchall()
        return [Failure(h, a, e) for h, a, e in rows]

    @_serialized
    def models(self) -> list[str]:
        return [m for (m,) in self._db.execute("SELECT DISTINCT model_id FROM texts")]

    @_serialized
    def drop_model(self, model_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM texts WHERE model_id = ?", (model_id,))

    # -- the active model ---------------------------------------------------------

    @_serialized
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @_serialized
    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- runs ---------------------------------------------------------------------

    @_serialized
    def start_run(self, model_id: str, total: int) -> int:
        now = time.time()
        with self._tx() as db:
            # A run still `running` was cut short by a crash or a kill.
            db.execute("UPDATE runs SET state = 'interrupted' WHERE state = 'running'")
            cur = db.execute(
                "INSERT INTO runs (model_id, state, started_at, updated_at, total) "
                "VALUES (?, 'running', ?, ?, ?)",
                (model_id, now, now, total),
            )
        assert cur.lastrowid is not None
        return cur.lastrowid

    @_serialized
    def update_run(
        self, run_id: int, *, embedded: int, failed: int, seconds: float, state: str = "running"
    ) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET embedded = ?, failed = ?, seconds = ?, state = ?, "
                "updated_at = ? WHERE id = ?",
                (embedded, failed, seconds, state, time.time(), run_id),
            )

    @_serialized
    def last_run(self, model_id: str | None = None) -> Run | None:
        sql = (
            "SELECT id, model_id, state, started_at, updated_at, total, embedded, failed, "
            "seconds FROM runs {} ORDER BY id DESC LIMIT 1"
        )
        if model_id is None:
            row = self._db.execute(sql.format("")).fetchone()
        else:
            row = self._db.execute(sql.format("WHERE model_id = ?"), (model_id,)).fetchone()
        if row is None:
            return None
        keys = ("id", "model_id", "state", "started_at", "updated_at", "total", "embedded")
        return Run(**dict(zip(keys, row[:7], strict=True)), failed=row[7], seconds=row[8])
