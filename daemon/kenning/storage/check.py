"""A cheap consistency check of every store of an index, and the repair a writer makes.

Run whenever an index is opened. Each check reads little (the graph's catalog, the
chunk table's manifest, its index folders and one small column, one empty full-text
query per field, SQLite's `quick_check`, the vector tables' manifests), so it costs tens
of milliseconds on Django, not a scan of the data. What it finds:

- the graph cannot be opened or has no `File` table (a truncated or garbled file);
- the chunk table is missing while the catalog has files (its folder, its `_versions`
  or the whole `chunks/` folder deleted), cannot be opened (a garbled manifest), has a
  data file that cannot be read (a fragment truncated, deleted or garbled at its
  footer), or lacks a full-text index (deleted);
- the status file is not a sound SQLite database;
- a vector table cannot be read, or is missing while the status table says texts of
  its model are embedded.

A reader refuses a damaged index with one line naming the fix; the writer repairs it
at once, since all of it is derived from the workspace: a damaged graph or chunk table
is removed and the index reloaded in full (vectors are kept: texts are keyed by hash);
a damaged status file is recreated, and texts whose vector is stored are adopted, not
embedded again; a damaged vector table is dropped and its texts queued again.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from kenning.storage import lance_import
from kenning.storage.chunks import INDEXED_FIELDS, TABLE, TEXT_INDEXES
from kenning.storage.embed_status import DONE
from kenning.storage.graph import GraphError, GraphStore
from kenning.storage.index_dir import IndexDamaged, IndexDir, stat_fingerprint, tree_files
from kenning.storage.vectors import TABLE_PREFIX, table_name

log = logging.getLogger(__name__)

GRAPH = "graph"
CHUNKS = "chunk table"
STATUS = "embedding status"
VECTORS = "vectors"


@dataclass(frozen=True)
class Damage:
    """One store found damaged, and how."""

    store: str
    detail: str
    # For VECTORS: the model whose table it is.
    model_id: str = ""

    def describe(self) -> str:
        return f"{self.store}: {self.detail}"


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split())
    # Native errors carry source paths and backtraces after the point; the first
    # sentence says what is wrong.
    return (text.split(", /")[0] or type(error).__name__)[:200]


def check_graph(graph: GraphStore) -> Damage | None:
    """Whether the graph answers a read of its catalog (every `File` row: a few thousand
    on a large workspace, and read by every writer anyway) and of its symbols' keys."""
    try:
        graph.catalog()
        graph.query("MATCH (s:Symbol) RETURN s.id LIMIT 1")
    except Exception as error:
        return Damage(GRAPH, _reason(error))
    return None


def check_chunks(path: Path, catalog_files: int) -> list[Damage]:
    """The chunk table: present when the catalog has files, readable, fully indexed."""
    if not path.is_dir() and not catalog_files:
        # A new index: nothing to read, and importing LanceDB here (a second or more)
        # would hold up the first index, whose chunk writer imports it while parsing.
        return []
    lancedb = lance_import.lancedb()

    try:
        db = lancedb.connect(str(path), read_consistency_interval=timedelta(0))
        names = db.list_tables().tables if path.is_dir() else []
    # A Rust panic in the driver is a BaseException; nothing but a damaged store raises
    # here, and an interrupt or exit must still get through.
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:
        return [Damage(CHUNKS, _reason(error))]
    if TABLE not in names:
        if catalog_files:
            return [Damage(CHUNKS, f"missing, while the catalog holds {catalog_files} files")]
        return []
    try:
        table = db.open_table(TABLE)
        rows = int(table.count_rows())
        indices = {ix.name: ix for ix in table.list_indices()}
        if rows:
            # One small column of every fragment: a data file that is gone, cut short or
            # garbled at its footer fails here, not in a user's search.
            table.search().select(["start_line"]).limit(None).to_arrow()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:
        return [Damage(CHUNKS, _reason(error))]
    damage: list[Damage] = []
    if rows and not catalog_files:
        # The graph lost its rows (a file cut to nothing is recreated empty).
        damage.append(Damage(GRAPH, f"empty, while the chunk table holds {rows} chunks"))
    if rows:
        for field in INDEXED_FIELDS:
            index = indices.get(TEXT_INDEXES[field])
            folder = path / f"{TABLE}.lance" / "_indices" / str(getattr(index, "index_uuid", ""))
            if index is None or not folder.is_dir():
                damage.append(Damage(CHUNKS, f"its full-text index on {field} is missing"))
                continue
            try:
                table.search("kenning", query_type="fts", fts_columns=field).limit(1).to_list()
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as error:
                damage.append(Damage(CHUNKS, f"its full-text index on {field}: {_reason(error)}"))
    return damage


def check_status(path: Path) -> Damage | None:
    """The status file, when there is one, is a sound SQLite database."""
    if not path.exists():
        return None
    try:
        with contextlib.closing(
            sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        ) as db:
            verdict = db.execute("PRAGMA quick_check(1)").fetchone()
    except sqlite3.Error as error:
        return Damage(STATUS, _reason(error))
    if verdict is None or verdict[0] != "ok":
        return Damage(STATUS, _reason(ValueError(verdict[0] if verdict else "no answer")))
    return None


def check_vectors(chunks_path: Path, status_path: Path) -> list[Damage]:
    """Each model with embedded texts has a readable vector table."""
    embedded = _embedded_models(status_path)
    if not embedded and not chunks_path.is_dir():
        return []
    lancedb = lance_import.lancedb()

    try:
        db = lancedb.connect(str(chunks_path), read_consistency_interval=timedelta(0))
        names = set(db.list_tables().tables) if chunks_path.is_dir() else set()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:
        return [Damage(VECTORS, _reason(error))]
    damage: list[Damage] = []
    for model_id, done in embedded.items():
        name = table_name(model_id)
        if name not in names:
            damage.append(Damage(VECTORS, f"{done} texts of {model_id} are marked embedded "
                                          "but its vector table is missing", model_id))  # fmt: skip
            continue
        try:
            table = db.open_table(name)
            if int(table.count_rows()):
                table.search().select(["text_hash"]).limit(None).to_arrow()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:
            damage.append(Damage(VECTORS, f"{model_id}: {_reason(error)}", model_id))
    return damage


def _embedded_models(status_path: Path) -> dict[str, int]:
    """Texts marked done per model (empty when the file is missing or unreadable)."""
    if not status_path.exists():
        return {}
    try:
        with contextlib.closing(
            sqlite3.connect(f"file:{status_path}?mode=ro", uri=True, timeout=10)
        ) as db:
            rows = db.execute(
                "SELECT model_id, count(*) FROM texts WHERE status = ? GROUP BY model_id",
                (DONE,),
            ).fetchall()
    except sqlite3.Error:
        return {}
    return {str(model): int(count) for model, count in rows}


# The fingerprint of the chunk, vector and status files as last known sound: written by
# the writer when it closes cleanly (or after a full check found nothing); while the
# files still match it, an open skips reading them again.
VERIFIED_FILE = "verified"


def fingerprint(index_dir: IndexDir) -> str:
    """Every file of the chunk and vector tables and the status database, by path,
    size and modification time: damage to any of them (truncated, deleted, rewritten)
    changes it. A stat per file, no read: a few milliseconds on a large index."""
    status = index_dir.embed_status_path
    databases = (status, *status.parent.glob(status.name + "-*"))
    return stat_fingerprint(
        [*tree_files(index_dir.chunks_path), *((path.name, path) for path in databases)]
    )


def record_sound(index_dir: IndexDir) -> None:
    """Remember the stores' files as sound (the writer, holding the lock)."""
    with contextlib.suppress(OSError):
        (index_dir.path / VERIFIED_FILE).write_text(fingerprint(index_dir), encoding="utf-8")


def _known_sound(index_dir: IndexDir) -> bool:
    try:
        recorded = (index_dir.path / VERIFIED_FILE).read_text(encoding="utf-8")
    except OSError:
        return False
    return recorded == fingerprint(index_dir)


def check_stores(index_dir: IndexDir, graph: GraphStore, record: bool = False) -> list[Damage]:
    """Every damage found in the stores beside an open graph. The chunk, vector and
    status files are read only when they changed since they were last known sound;
    `record` (the writer): a clean result becomes the new known-sound state."""
    graph_damage = check_graph(graph)
    if graph_damage is not None:
        # Nothing else can be judged against a catalog that cannot be read.
        return [graph_damage]
    if _known_sound(index_dir):
        return []
    files = int(graph.counts()["files"])
    damage = check_chunks(index_dir.chunks_path, files)
    status = check_status(index_dir.embed_status_path)
    if status is None and not index_dir.embed_status_path.exists():
        vectors = sorted(index_dir.chunks_path.glob(f"{TABLE_PREFIX}*.lance"))
        if vectors:
            # Search would run on text alone and say there are no embeddings yet.
            status = Damage(STATUS, f"missing, while {len(vectors)} vector table(s) exist")
    if status is not None:
        damage.append(status)
    else:
        damage += check_vectors(index_dir.chunks_path, index_dir.embed_status_path)
    if record and not damage:
        record_sound(index_dir)
    return damage


def refusal(index_dir: IndexDir, damage: list[Damage]) -> str:
    """The one line a reader shows for a damaged index."""
    found = "; ".join(d.describe() for d in damage)
    return (
        f"the index at {index_dir.path} is damaged ({found}); "
        "run `kenning index --rebuild` to recreate it"
    )


def remove_graph(index_dir: IndexDir) -> None:
    """Delete the graph's files (the writer holds the lock and reloads in full)."""
    graph = index_dir.graph_path
    for path in (graph, *graph.parent.glob(graph.name + ".*")):
        _remove(path)
    index_dir.set_loading(True)


def repair(index_dir: IndexDir, damage: list[Damage]) -> list[str]:
    """Remove what is damaged so that the next index rebuilds it; returns one line per
    repair, for the user. The caller holds the writer lock and has already replaced a
    damaged graph (`remove_graph`)."""
    done: list[str] = []
    stores = {d.store for d in damage}
    if GRAPH in stores:
        done.append("the graph is rebuilt in full")
    if CHUNKS in stores:
        _remove(index_dir.chunks_path / f"{TABLE}.lance")
        index_dir.set_loading(True)
        done.append("the chunk table is rebuilt in full (stored vectors are kept)")
    if STATUS in stores:
        status = index_dir.embed_status_path
        for path in (status, *status.parent.glob(status.name + "-*")):
            _remove(path)
        done.append("the embedding status is recreated (texts with a stored vector are kept)")
    for d in damage:
        if d.store == VECTORS and d.model_id:
            _remove(index_dir.chunks_path / f"{table_name(d.model_id)}.lance")
            _requeue(index_dir.embed_status_path, d.model_id)
            done.append(f"the vectors of {d.model_id} are embedded again")
        elif d.store == VECTORS:
            for table in index_dir.chunks_path.glob(f"{TABLE_PREFIX}*.lance"):
                _remove(table)
            _remove(index_dir.embed_status_path)
            done.append("every vector is embedded again")
    for d in damage:
        log.warning("the index at %s was damaged (%s)", index_dir.path, d.describe())
    return done


def _requeue(status_path: Path, model_id: str) -> None:
    with contextlib.closing(sqlite3.connect(status_path, timeout=30)) as db, db:
        db.execute(
            "UPDATE texts SET status = 'pending', attempts = 0 WHERE model_id = ?", (model_id,)
        )


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def describe_repairs(index_dir: IndexDir, damage: list[Damage], repairs: list[str]) -> str:
    """What the writer says after repairing: what was damaged and what it does."""
    found = "; ".join(d.describe() for d in damage)
    return f"the index at {index_dir.path} was damaged ({found}): {'; '.join(repairs)}"


def open_for_reading(index_dir: IndexDir) -> GraphStore:
    """The graph, read-only, once every store passed the check (`IndexDamaged`, or
    `IndexIncomplete` while a bulk load is unfinished, otherwise)."""
    try:
        graph = GraphStore(index_dir.graph_path, read_only=True)
    except GraphError as error:
        if index_dir.owner() is not None:
            raise  # a writer is at work: its checkpoint, not damage
        found = Damage(GRAPH, _reason(error.__cause__ or error))
        raise IndexDamaged(refusal(index_dir, [found])) from error
    try:
        index_dir.check_complete()
        # With a writer at work the stores pass through states the check would call
        # damage (a table rewritten before its index is rebuilt); that writer checked
        # and repaired them when it opened them.
        damage = check_stores(index_dir, graph) if index_dir.owner() is None else []
        if damage:
            raise IndexDamaged(refusal(index_dir, damage))
    except BaseException:
        graph.close()
        raise
    return graph


def open_for_writing(index_dir: IndexDir) -> tuple[GraphStore, str]:
    """The graph, for the writer (who holds the lock), with every damaged store
    repaired: returns it and what was done, for the user ("" when nothing was)."""
    damage: list[Damage] = []
    try:
        graph = GraphStore(index_dir.graph_path)
    except GraphError as error:
        damage.append(Damage(GRAPH, _reason(error.__cause__ or error)))
        remove_graph(index_dir)
        graph = GraphStore(index_dir.graph_path)
    found = check_stores(index_dir, graph, record=True)
    if any(d.store == GRAPH for d in found):
        graph.close()
        remove_graph(index_dir)
        graph = GraphStore(index_dir.graph_path)
    damage += found
    if any(d.store == GRAPH for d in damage) and not any(d.store == CHUNKS for d in damage):
        # The full reload rewrites the chunk table anyway; one that cannot be trusted
        # either is removed first rather than overwritten in place.
        damage.append(Damage(CHUNKS, "rebuilt with the graph"))
    if not damage:
        return graph, ""
    repairs = repair(index_dir, damage)
    return graph, describe_repairs(index_dir, damage, repairs)


__all__ = [
    "CHUNKS",
    "GRAPH",
    "STATUS",
    "VECTORS",
    "Damage",
    "check_stores",
    "describe_repairs",
    "open_for_reading",
    "open_for_writing",
    "refusal",
    "remove_graph",
    "repair",
]
