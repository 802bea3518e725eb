"""The chunk table: code chunks with a full-text (BM25) index, in LanceDB.

One row per chunk. `text_hash` names the embedded text; its vector and embedding status
live apart, keyed by that hash (`vectors.py`, `embed_status.py`). Two fields are
searched by BM25, each with its own full-text index: `words` (the embedded `text` — a
one-line header naming the symbol and its signature, then the code — with every
camelCase identifier split into its words, `split_words_column`: LanceDB's tokenizer
splits `app_context` at the underscore but keeps `AppContext` one token, so the words of
classes and of most TypeScript, Go and Java names were never found) and `terms` (the
words of the symbol's name, its qualified name and its file's path, split out of
snake_case and camelCase). The raw `text` keeps a full-text index only when asked
(`build_text_indexes`): the retrieval bench's ablation. Path words live only in `terms`,
never in the embedded text, so a moved file keeps its texts' hashes and so its vectors.
Each definition's chunks also carry a short *description* (`desc`: its name's words, its
owner's, its parameters', see `describe`), embedded as a text of its own under
`desc_hash`: a vector of what the definition is called, beside the vector of its code,
for search to weigh. The embedding side sees descriptions as texts like any other
(`all_hashes`, `texts_for`). A file's chunks are replaced in one `merge_insert`, so
readers never see a file half-written. Filters are built with `lancedb.expr`, never by
pasting strings. Several BM25 searches can be started together and waited for later
(`start_text_searches`): they run on LanceDB's own event loop, in Rust.

`lancedb` costs about a second to import, so it is imported when a `ChunkStore` is
first opened, not when this module is (and without the REST client it never calls:
`lance_import.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import pyarrow as pa

from kenning.core.facts import Chunk, text_hash
from kenning.core.words import identifier_words
from kenning.storage import lance_import
from kenning.storage.batches import batched
from kenning.storage.index_dir import IndexDamaged

if TYPE_CHECKING:
    from lancedb.expr import Expr

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _damage_reported(path: Path) -> Any:
    """Lance's report of a file it cannot decode (a page garbled on disk, which the
    check at open does not read) as the index's damage, with the fix, not a traceback.
    Lance says so either as a "corrupt file" error or, where garbled lengths send its
    decoder past a buffer's end, as a panic of the task that read the page."""
    try:
        yield
    except (RuntimeError, OSError, ValueError) as error:
        said = str(error).lower()
        if "corrupt" not in said and "panicked" not in said:
            raise
        first = str(error).splitlines()[0][:200]
        raise IndexDamaged(
            f"the index at {path.parent} is damaged (chunk table: {first}); "
            "run `kenning index --rebuild` to recreate it"
        ) from error


def connect(path: Path) -> tuple[Any, Any]:
    """A connection to the chunk database (the chunk and vector tables) with a cache
    session of its own, and the session (its size is how much Lance has cached).

    Lance's session caches what it read of every table version (manifests, file
    metadata, index pages), keyed by version and file, and evicts only past 6 GiB of
    index and 1 GiB of metadata: each write adds entries for a version that compaction
    retires, so a daemon's memory grew write after write. Each store connects again
    after compacting, with an empty cache."""
    lancedb = lance_import.lancedb()
    session = lancedb.Session()
    # The embedding pool and read-only engines read while the owner writes: check
    # for a newer table version on every read rather than serve a stale one.
    db = lancedb.connect(str(path), read_consistency_interval=timedelta(0), session=session)
    return db, session


TABLE = "chunks"
TEXT_INDEX = "text_idx"
WORDS_INDEX = "words_idx"
TERMS_INDEX = "terms_idx"
# The full-text searchable fields, each with the name of its own index.
TEXT_INDEXES = {"words": WORDS_INDEX, "terms": TERMS_INDEX, "text": TEXT_INDEX}
TEXT_FIELDS = tuple(TEXT_INDEXES)
# The fields every index builds a full-text index on. `text` is not among them: `words`
# holds all of its tokens and more, and one index fewer is less work for phase 1.
INDEXED_FIELDS = ("words", "terms")

CHUNK_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("path", pa.string()),
        pa.field("symbol_id", pa.string()),
        pa.field("qualname", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("language", pa.string()),
        pa.field("start_line", pa.int32()),
        pa.field("end_line", pa.int32()),
        pa.field("code", pa.string()),
        pa.field("text", pa.string()),
        pa.field("text_hash", pa.string()),
        pa.field("terms", pa.string()),
        pa.field("words", pa.string()),
        pa.field("desc", pa.string()),
        pa.field("desc_hash", pa.string()),
    ]
)

# What a search reads of a chunk: everything but the searchable fields, which are long
# and only the index needs (reading them took about half of a BM25 search on Django).
HIT_COLUMNS = [name for name in CHUNK_SCHEMA.names if name not in (*TEXT_FIELDS, "desc")]
# The columns naming an embedded text: the chunk's own and its definition's description.
HASH_COLUMNS = ("text_hash", "desc_hash")

FTS_MEMORY_MB = 128
# How many versions back a text search looks for one with its index (during a rebuild).
FALLBACK_VERSIONS = 20
# Table versions kept by `optimize`: longer than any read takes.
KEEP_VERSIONS_FOR = timedelta(minutes=10)
# Values per `IN (...)` filter, to keep filter expressions a sensible size.
IN_BATCH = 2000


class ChunkFilter(msgspec.Struct, frozen=True):
    """Restrictions on which chunks a search may return; empty means no restriction."""

    languages: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    # Explicit paths (already expanded from the user's globs); None means any path.
    paths: tuple[str, ...] | None = None

    def expr(self) -> Expr | None:
        from lancedb.expr import col, lit

        parts = []
        if self.languages:
            parts.append(col("language").isin([lit(v) for v in self.languages]))
        if self.kinds:
            parts.append(col("kind").isin([lit(v) for v in self.kinds]))
        if self.paths is not None:
            parts.append(col("path").isin([lit(v) for v in self.paths] or [lit("")]))
        if not parts:
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part
        return combined


# One BM25 search as `ChunkStore.search_text` takes it: (query, limit, filters, field).
TextSearch = tuple[str, int, ChunkFilter | None, str]
# What `start_text_searches` returns: call it to wait for the searches' rows.
PendingSearches = Callable[[], list[list[dict[str, Any]]]]

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def split_query(query: str) -> str:
    """`query` with each identifier that has several words followed by its words, so
    that BM25 finds `PreparedRequest` by the words (prepared, request) that the `words`
    and `terms` fields hold; the identifier itself stays for a field that keeps it
    whole (the raw `text`, which only the bench searches)."""
    out: list[str] = []
    for token in query.split():
        out.append(token)
        for ident in _IDENTIFIER.findall(token):
            words = identifier_words(ident)
            if len(words) > 1:
                out.extend(words)
    return " ".join(out)


# Where an identifier's words meet though the full-text tokenizer sees one token: a case
# change (`AppContext`, `getURL`, `HTTPAdapter`) or digits against letters (`sha256`).
# Snake_case needs nothing: the tokenizer splits at underscores. Each pair is one pass of
# `pyarrow.compute.replace_substring_regex` (RE2, in C++, without the GIL) over a whole
# batch: a per-identifier Python split took 2.4 s for Django's 18 MB, these 0.45 s.
_WORD_BOUNDARIES = (
    (r"([a-z])([A-Z])", r"\1 \2"),
    (r"([A-Z])([A-Z][a-z])", r"\1 \2"),
    (r"([A-Za-z])([0-9])", r"\1 \2"),
    (r"([0-9])([A-Za-z])", r"\1 \2"),
)


def split_words_column(texts: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The `words` field of chunks whose texts are `texts`: each text with a space where
    an identifier's words meet (`class AppContext:` -> `class App Context:`), so BM25
    finds a camelCase name by its words, as it finds a snake_case one."""
    # Imported here, not with the module: `pyarrow.compute` builds its ~300 function
    # wrappers and their docs on import (0.1-0.3 s), which a restart with nothing to
    # write, or a query that reads the chunk table, would pay for nothing.
    import pyarrow.compute as pc

    for pattern, replacement in _WORD_BOUNDARIES:
        texts = pc.replace_substring_regex(texts, pattern, replacement)
    return texts


def name_terms(symbol_id: str, path: str) -> str:
    """The `terms` field of a chunk: its symbol's own name words, then the words of its
    qualified name (so the own name counts twice, its class once), then its path's.
    Repetition is the field weight BM25 sees inside one field."""
    local = symbol_id.partition("#")[2].partition("@")[0]
    own = identifier_words(local.rpartition(".")[2])
    stem = path.rpartition(".")[0] if "." in path.rpartition("/")[2] else path
    return " ".join([*own, *identifier_words(local), *identifier_words(stem)])


def describe(symbol_id: str, kind: str, text: str) -> str:
    """A definition's description, embedded beside its code: the words of its own name,
    of what it belongs to, and of its signature (`Session.get_adapter(self, url)` ->
    "get adapter of session (url)"); empty for module-level code. Made from the chunk's
    header line, so every piece of one definition has the same description. No path:
    a moved definition keeps its description's vector too."""
    if kind == "module":
        return ""
    local = symbol_id.partition("#")[2].partition("@")[0]
    owner, _, name = local.rpartition(".")
    words = " ".join(identifier_words(name))
    if not words:
        return ""
    header = text.partition("\n")[0]
    signature = header.partition(local)[2] if local in header else ""
    params = " ".join(w for w in identifier_words(signature) if w != "self")
    owner_words = " ".join(identifier_words(owner))
    described = f"{words} of {owner_words}" if owner_words else words
    return f"{described} ({params})" if params else described


# What `chunk_table` derives from a chunk's symbol id, path, kind and text alone
# (its `terms`, `desc`, `desc_hash` and `words`), keyed by those four.
ChunkFields = dict[tuple[str, str, str, str], tuple[str, str, str, str]]


def chunk_table(
    chunks: Iterable[tuple[Chunk, str]],
    words: bool = True,
    reuse: ChunkFields | None = None,
    keep: ChunkFields | None = None,
) -> pa.Table:
    """Arrow rows for (chunk, qualified name of its symbol) pairs; without `words` their
    `words` are left empty, for `with_words` to fill on another thread.

    `reuse`: the derived fields of chunks made before (`keep` of an earlier call), taken
    for a chunk with the same symbol id, path, kind and text instead of derived again
    (they are functions of those alone); `keep` receives every row's, for the next call.
    A file saved again in an editor changes a few of its chunks, not all."""
    cols: dict[str, list[Any]] = {name: [] for name in CHUNK_SCHEMA.names}
    # With `reuse`, words already split; None where they are to be split below.
    known_words: list[str | None] = []
    for chunk, qualname in chunks:
        cols["id"].append(chunk.id)
        cols["path"].append(chunk.path)
        cols["symbol_id"].append(chunk.symbol_id)
        cols["qualname"].append(qualname)
        cols["kind"].append(chunk.kind)
        cols["language"].append(chunk.language)
        cols["start_line"].append(chunk.start_line)
        cols["end_line"].append(chunk.end_line)
        cols["code"].append(chunk.code)
        cols["text"].append(chunk.text)
        cols["text_hash"].append(chunk.text_hash)
        key = (chunk.symbol_id, chunk.path, chunk.kind, chunk.text)
        held = reuse.get(key) if reuse is not None else None
        if held is not None and (held[3] or not words):
            terms, desc, desc_hash, split = held
            known_words.append(split if words else None)
        else:
            terms = name_terms(chunk.symbol_id, chunk.path)
            desc = describe(chunk.symbol_id, chunk.kind, chunk.text)
            desc_hash = text_hash(desc) if desc else ""
            known_words.append(None)
        cols["terms"].append(terms)
        cols["desc"].append(desc)
        cols["desc_hash"].append(desc_hash)
    text = pa.array(cols["text"], pa.string())
    if not words:
        cols["words"] = pa.nulls(len(text), pa.string())
    elif reuse is None and keep is None:
        cols["words"] = split_words_column(text)
    else:
        missing = [i for i, w in enumerate(known_words) if w is None]
        if missing:
            split = split_words_column(pa.array([cols["text"][i] for i in missing], pa.string()))
            for i, w in zip(missing, split.to_pylist(), strict=True):
                known_words[i] = w
        cols["words"] = pa.array(known_words, pa.string())
    if keep is not None:
        keys = zip(cols["symbol_id"], cols["path"], cols["kind"], cols["text"], strict=True)
        for i, key in enumerate(keys):
            # Words not split here (`words` False) are split again when next asked for.
            split = (known_words[i] or "") if words else ""
            keep[key] = (cols["terms"][i], cols["desc"][i], cols["desc_hash"][i], split)
    return pa.table(cols, schema=CHUNK_SCHEMA)


def with_words(rows: pa.Table) -> pa.Table:
    """`rows` (of `chunk_table`) with their `words` made from their `text`. A full index
    calls this on its chunk writer's thread: the regex passes release the GIL there,
    beside the parse, instead of adding to the thread that collects parsed files."""
    index = rows.schema.get_field_index("words")
    return rows.set_column(index, CHUNK_SCHEMA.field("words"), split_words_column(rows["text"]))


class ChunkStore:
    """The LanceDB database holding the chunk table."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db, self.cache = connect(path)
        self._table: Any = None
        # While a full index rewrites the table, queries read the version it replaces
        # (checked out on its own handle): the new one is empty, then partial, until
        # `serve_all` (a search during a rebuild found nothing, 490 of 600 on Flask).
        self._previous: Any = None
        if TABLE in self._db.list_tables().tables:
            # Another process may be creating it this very moment: then it is not there yet.
            with contextlib.suppress(ValueError):
                self._table = self._db.open_table(TABLE)

    @property
    def exists(self) -> bool:
        return self._table is not None

    def replace_all(self, rows: pa.Table) -> None:
        """Write the whole table (full index), then build the full-text index."""
        self._keep_serving_previous()
        self._table = self._db.create_table(TABLE, rows, schema=CHUNK_SCHEMA, mode="overwrite")
        self.finish_all()

    def begin_all(self) -> None:
        """Start writing the whole table anew (a full index): an empty table that
        `append` fills part by part and `finish_all` indexes. Until then queries read
        the table as it was (`_reader`)."""
        self._keep_serving_previous()
        self._table = self._db.create_table(
            TABLE, CHUNK_SCHEMA.empty_table(), schema=CHUNK_SCHEMA, mode="overwrite"
        )

    def _keep_serving_previous(self) -> None:
        if self._table is None or self._previous is not None:
            return
        try:
            previous = self._db.open_table(TABLE)
            previous.checkout(self._table.version)
        except Exception as error:  # damaged or half-written: nothing worth serving
            log.info("a rebuild's queries read the new table (the old one: %s)", error)
            return
        self._previous = previous

    def _reader(self) -> Any:
        """The table queries read: the one a full index is replacing, until it is done."""
        previous = self._previous
        return self._table if previous is None else previous

    def append(self, rows: pa.Table) -> None:
        if rows.num_rows:
            self._table.add(rows)

    def finish_all(self) -> None:
        self.index_all()
        self.serve_all()

    def index_all(self) -> None:
        """Build the indexes of a table written whole (`begin_all`, `append`)."""
        self.build_text_indexes()
        self._build_key_indexes()

    def serve_all(self) -> None:
        """Queries read the table written whole from now on, no longer the one before."""
        self._previous = None

    def _build_key_indexes(self) -> None:
        from lancedb.index import BTree

        # A file's chunks are replaced with a merge on `id` that deletes the file's
        # other rows by `path`: without these the merge reads the whole table (50 ms on
        # Django and growing with it); with them it reads the file's rows (about 12 ms).
        # Rows written later are unindexed until `optimize()`, and scanned meanwhile.
        # `text_hash`, `desc_hash`: search looks up the chunks of its nearest texts.
        for column in ("id", "path", *HASH_COLUMNS):
            self._table.create_index(column, config=BTree(), replace=True)

    def build_text_indexes(self, fields: Sequence[str] = INDEXED_FIELDS) -> None:
        """Build (or rebuild) the full-text index of each of `fields` (`TEXT_FIELDS`)."""
        from lancedb.index import FTS

        # The simple tokenizer splits on non-alphanumerics, so `parse_config` is found
        # by `parse` and by `config`; stemming lets "parsing" find `parse`.
        # The default builder heap is 1 GiB; a bounded one keeps a full index's peak
        # memory predictable at a small cost in build time.
        for column in fields:
            self._table.create_index(
                column,
                config=FTS(memory_limit=FTS_MEMORY_MB),
                replace=True,
                name=TEXT_INDEXES[column],
            )

    def replace_files(self, paths: Sequence[str], rows: pa.Table) -> None:
        """Replace every chunk of `paths` with `rows`, in one write."""
        from lancedb.expr import col, lit

        if self._table is None:
            self.replace_all(rows)
            return
        scope = col("path").isin([lit(p) for p in paths])
        (
            self._table.merge_insert("id")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .when_not_matched_by_source_delete(scope.to_sql())
            .execute(rows)
        )

    def optimize(self) -> None:
        """Fold small writes into the table and its indexes (call when idle): every
        per-file write adds a fragment and a version, and the rows it wrote are scanned
        by each search until indexed. Versions older than `KEEP_VERSIONS_FOR` go (a
        reader never holds one that long)."""
        if self._table is not None:
            self._table.optimize(cleanup_older_than=KEEP_VERSIONS_FOR)
            self._drop_caches()

    def _drop_caches(self) -> None:
        """Read on through a new connection with empty caches (`connect`). After a
        compaction the next read loads the new files anyway; the old entries go with the
        last handle that uses them."""
        if self._previous is not None:  # a rebuild's queries read the old handle
            return
        db, cache = connect(self.path)
        self._db, self._table, self.cache = db, db.open_table(TABLE), cache

    def fragments(self) -> int:
        """How many fragments the table is made of (one per write until `optimize`)."""
        if self._table is None:
            return 0
        return int(self._table.stats()["fragment_stats"]["num_fragments"])

    def count(self) -> int:
        return 0 if self._table is None else int(self._table.count_rows())

    def all_hashes(self) -> set[str]:
        """The hash of every embedded text: each chunk's, and each description's."""
        if self._table is None:
            return set()
        rows = self._table.search().select(list(HASH_COLUMNS)).limit(None).to_arrow()
        return _hashes(rows)

    def hashes_for_paths(self, paths: Sequence[str]) -> list[str]:
        from lancedb.expr import col, lit

        if self._table is None or not paths:
            return []
        where = col("path").isin([lit(p) for p in paths])
        rows = self._table.search().where(where).select(list(HASH_COLUMNS)).limit(None)
        return list(_hashes(rows.to_arrow(), ordered=True))

    def texts_for(self, hashes: Sequence[str]) -> dict[str, str]:
        """The embedded text of each hash that some chunk still holds (a chunk's text
        or a description)."""
        out: dict[str, str] = {}
        for part in batched(hashes, IN_BATCH):
            for row in self._select_hashes(part, ["text_hash", "text"], None):
                out.setdefault(row["text_hash"], row["text"])
            rest = [h for h in part if h not in out]
            for row in self._select_hashes(rest, ["desc_hash", "desc"], None, ["desc_hash"]):
                out.setdefault(row["desc_hash"], row["desc"])
        return out

    def by_hashes(
        self,
        hashes: Sequence[str],
        filters: ChunkFilter | None = None,
        columns: Sequence[str] = ("text_hash",),
    ) -> list[dict[str, Any]]:
        """Every chunk whose text (or, with `columns` naming `desc_hash`, description)
        has one of these hashes and that passes `filters`, without its searchable fields
        (`HIT_COLUMNS`); each chunk once."""
        unknown = set(columns) - set(HASH_COLUMNS)
        if unknown or not columns:
            raise ValueError(f"unknown hash columns {sorted(unknown)}: expected {HASH_COLUMNS}")
        rows: list[dict[str, Any]] = []
        for part in batched(hashes, IN_BATCH):
            rows.extend(self._select_hashes(part, HIT_COLUMNS, filters, columns, self._reader()))
        return rows

    def _select_hashes(
        self,
        hashes: Sequence[str],
        columns: list[str] | None,
        filters: ChunkFilter | None,
        match: Sequence[str] = ("text_hash",),
        table: Any = None,
    ) -> list[dict[str, Any]]:
        if self._table is None or not hashes:
            return []
        query = (table or self._table).search().where(_matching(match, hashes, filters)).limit(None)
        if columns is not None:
            query = query.select(columns)
        with _damage_reported(self.path):
            return list(query.to_list())

    def search_text(
        self, query: str, limit: int, filters: ChunkFilter | None = None, field: str = "words"
    ) -> list[dict[str, Any]]:
        """BM25 full-text search over one of ``TEXT_FIELDS``, best first; each row carries
        its BM25 score as `_score`, and the columns of `HIT_COLUMNS`."""
        if field not in TEXT_FIELDS:
            raise ValueError(f"unknown text field {field!r}: expected one of {TEXT_FIELDS}")
        if self._table is None or not query.strip():
            return []
        try:
            with _damage_reported(self.path):
                return _search_text(self._reader(), query, limit, filters, field)
        except IndexDamaged:
            raise
        except Exception as error:
            if not _no_text_index(error):
                raise
        # The newest version has no full-text index yet: a full index (a rebuild) wrote
        # the rows and is building the indexes now. Answer from the last version that
        # had them (its files stay until `optimize` cleans up), else with nothing.
        previous = self._indexed_version(field)
        if previous is None:
            return []
        return _search_text(previous, query, limit, filters, field)

    def start_text_searches(self, searches: Sequence[TextSearch]) -> PendingSearches:
        """Start several BM25 searches at once; the returned callable waits for their
        rows, each list as `search_text` gives it, in the order asked.

        LanceDB runs a query in Rust on its own event-loop thread, without the GIL, and a
        synchronous call only waits for it: started together here, the searches run side
        by side, and beside whatever the caller does before it waits (hybrid search
        embeds the query and scans the vectors meanwhile). No thread is started: the
        queries go to the loop LanceDB's synchronous API already runs them on. Should
        starting or running them fail in any way (a version without its full-text index
        during a rebuild, a damaged page), they run again one by one through
        `search_text`, which answers or reports it as it always did."""
        for _, _, _, field in searches:
            if field not in TEXT_FIELDS:
                raise ValueError(f"unknown text field {field!r}: expected one of {TEXT_FIELDS}")
        started: Any = None
        if self._table is not None and all(query.strip() for query, *_ in searches):
            try:
                started = _start_searches(self._reader(), searches)
            except Exception as error:  # an API this LanceDB lacks: run them one by one
                log.debug("text searches run one by one: %s", error)

        def results() -> list[list[dict[str, Any]]]:
            if started is not None:
                try:
                    return list(started.result())
                except Exception as error:
                    log.debug("text searches again one by one: %s", error)
            return [self.search_text(*search) for search in searches]

        return results

    def _indexed_version(self, field: str) -> Any:
        """The newest version of the table whose full-text index on `field` exists, as
        a table of its own (checked out, so the writer's handle is not moved)."""
        name = TEXT_INDEXES[field]
        versions = sorted((v["version"] for v in self._table.list_versions()), reverse=True)
        for version in versions[:FALLBACK_VERSIONS]:
            table = self._db.open_table(TABLE)
            try:
                table.checkout(version)
                if any(ix.name == name for ix in table.list_indices()):
                    return table
            except Exception:  # a version already cleaned up
                continue
        return None

    def by_symbols(
        self, symbol_ids: Sequence[str], filters: ChunkFilter | None = None
    ) -> list[dict[str, Any]]:
        """The chunks of these symbols, in path and line order."""
        if self._table is None or not symbol_ids:
            return []
        where = _matching("symbol_id", symbol_ids, filters)
        with _damage_reported(self.path):
            rows = self._reader().search().where(where).limit(len(symbol_ids) * 8).to_list()
        rows.sort(key=lambda r: (r["path"], r["start_line"]))
        return list(rows)


def embedded_hashes(rows: pa.Table) -> list[str]:
    """The hashes of the texts `rows` have embedded: each chunk's text and each
    definition's description, in order, once each."""
    return list(_hashes(rows, ordered=True))


def _hashes(rows: pa.Table, ordered: bool = False) -> Any:
    """The text and description hashes in `rows` (descriptions may be empty: none)."""
    found = dict.fromkeys(rows.column("text_hash").to_pylist())
    found.update(dict.fromkeys(h for h in rows.column("desc_hash").to_pylist() if h))
    return list(found) if ordered else set(found)


def _search_text(
    table: Any, query: str, limit: int, filters: ChunkFilter | None, field: str
) -> list[dict[str, Any]]:
    builder = (
        table.search(query, query_type="fts", fts_columns=field).select(HIT_COLUMNS).limit(limit)
    )
    where = filters.expr() if filters is not None else None
    if where is not None:
        builder = builder.where(where, prefilter=True)
    return list(builder.to_list())


def _start_searches(table: Any, searches: Sequence[TextSearch]) -> Any:
    """Submit `searches` (as `_search_text` runs them) to LanceDB's event loop, all at
    once; returns the future of their rows."""
    from lancedb.background_loop import LOOP

    # The asynchronous table under LanceDB's synchronous handle (which runs each of its
    # calls on this same loop): same version, same cache session, same consistency.
    async_table = table._table

    async def one(query: str, limit: int, filters: ChunkFilter | None, field: str) -> Any:
        builder = async_table.query().nearest_to_text(query, columns=field)
        builder = builder.select(HIT_COLUMNS).limit(limit)
        where = filters.expr() if filters is not None else None
        if where is not None:
            builder = builder.where(where)  # a prefilter, as `_search_text`'s
        return await builder.to_list()

    async def every() -> list[Any]:
        return list(await asyncio.gather(*(one(*search) for search in searches)))

    return asyncio.run_coroutine_threadsafe(every(), LOOP.loop)


def _no_text_index(error: Exception) -> bool:
    """LanceDB's refusal to search text of a version that has no full-text index."""
    return "INVERTED index" in str(error)


def _matching(
    columns: str | Sequence[str], values: Sequence[str], filters: ChunkFilter | None
) -> Expr:
    """`column IN values` (for any of `columns`), and whatever `filters` asks for."""
    from lancedb.expr import col, lit

    names = [columns] if isinstance(columns, str) else list(columns)
    literals = [lit(v) for v in values]
    where = col(names[0]).isin(literals)
    for name in names[1:]:
        where = where | col(name).isin(literals)
    extra = filters.expr() if filters is not None else None
    return where if extra is None else where & extra
