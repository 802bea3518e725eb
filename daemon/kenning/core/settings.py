"""The one settings tree: typed, defaulted, validated once.

Every knob kenning has lives here. The CLI and (later) the LSP server build one
`Settings` value and pass it down; no module keeps settings in globals.
"""

from __future__ import annotations

import msgspec

DEFAULT_MAX_FILE_SIZE = 1024 * 1024
DEFAULT_MODEL = "all-MiniLM-L6-v2"


class EmbeddingSettings(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=False):
    """Phase 2: how chunk texts are embedded (`embedding.*` on the wire)."""

    # Off: the index is searched by text and symbol names only.
    enabled: bool = True
    # The bundled default, any fastembed model name, or a local model folder.
    model: str = DEFAULT_MODEL
    # ONNX Runtime threads for batch embedding; 0 means one per CPU core. Query
    # embedding always uses one thread of its own, so a search never queues behind a batch.
    threads: int = 0
    # Build (once) and use the optimised model file when it agrees with the shipped one.
    optimize: bool = True
    # A batch holds at most this many tokens, counted as batch size x longest text
    # (the model pads every text of a batch to the longest).
    batch_tokens: int = 8192
    # ... and at most this many texts.
    batch_size: int = 16
    # A batch that raises is retried this many times in all before its texts are
    # marked `error`.
    max_attempts: int = 3
    # Vectors no chunk refers to are kept this long (seconds), so a branch switch or a
    # revert finds them again, then dropped.
    gc_grace_seconds: float = 3 * 24 * 3600.0
    # After a model change, search switches to the new model once this share of the
    # texts has vectors under it.
    switch_threshold: float = 0.95

    def __post_init__(self) -> None:
        if self.threads < 0:
            raise ValueError("embedding.threads must be 0 (one per core) or more")
        if self.batch_tokens < 256:
            raise ValueError("embedding.batchTokens must be at least 256")
        if self.batch_size < 1:
            raise ValueError("embedding.batchSize must be at least 1")
        if self.max_attempts < 1:
            raise ValueError("embedding.maxAttempts must be at least 1")
        if self.gc_grace_seconds < 0:
            raise ValueError("embedding.gcGraceSeconds must not be negative")
        if not 0.0 < self.switch_threshold <= 1.0:
            raise ValueError("embedding.switchThreshold must be in (0, 1]")
        if not self.model.strip():
            raise ValueError("embedding.model must name a model")


class Settings(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=False):
    """Workspace settings, camelCase on the wire (`maxFileSize`), snake_case in Python."""

    # Where the index lives; relative paths are taken from the workspace root.
    index_dir: str = ".kenning"
    # Files larger than this many bytes are skipped (and reported), not parsed.
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    # Extra gitignore-style patterns to exclude, on top of .gitignore/.kenningignore.
    exclude: tuple[str, ...] = ()
    # Parser worker processes for a full index; 0 means one per CPU core.
    parse_workers: int = 0
    # Above this many changed files an incremental batch is written with COPY FROM.
    bulk_threshold: int = 200
    # The daemon re-indexes an edited buffer once typing pauses this long (saves,
    # opens and closes go at once).
    debounce_ms: int = 200
    # An applied change is visible to queries at once and written to the index on disk
    # once no change has come for this long (at most five times this after the first),
    # many saves in one write; 0 writes each change before it is visible.
    write_behind_ms: int = 1000
    # A query running longer than this is abandoned with an error.
    request_timeout_ms: int = 30_000
    # The standard call hierarchy (incoming/outgoing calls) leaves out call edges less
    # certain than this; 0 shows every edge, name-only candidates included.
    call_hierarchy_min_confidence: float = 0.0
    embedding: EmbeddingSettings = msgspec.field(default_factory=EmbeddingSettings)

    def __post_init__(self) -> None:
        if not 0 <= self.debounce_ms <= 10_000:
            raise ValueError("debounceMs must be between 0 and 10000")
        if not 0 <= self.write_behind_ms <= 60_000:
            raise ValueError("writeBehindMs must be between 0 and 60000")
        if self.request_timeout_ms < 100:
            raise ValueError("requestTimeoutMs must be at least 100")
        if self.max_file_size <= 0:
            raise ValueError("maxFileSize must be a positive number of bytes")
        if self.parse_workers < 0:
            raise ValueError("parseWorkers must be 0 (one per core) or more")
        if self.bulk_threshold < 1:
            raise ValueError("bulkThreshold must be at least 1")
        if not 0.0 <= self.call_hierarchy_min_confidence <= 1.0:
            raise ValueError("callHierarchyMinConfidence must be between 0 and 1")


def load_settings(raw: object) -> tuple[Settings, list[str]]:
    """Settings from what a client sent (`initializationOptions`, a configuration
    section): the valid parts are kept, and each unknown or invalid one is dropped, with
    a warning naming it, in favour of its default. Never raises."""
    warnings: list[str] = []
    # An empty array is an empty object from Lua, which cannot tell `{}` from `[]`.
    if raw is None or raw == []:
        return Settings(), warnings
    if not isinstance(raw, dict):
        return Settings(), [f"settings must be an object, not {type(raw).__name__}"]
    kept = _valid_fields(Settings, raw, "", warnings)
    try:
        return msgspec.convert(kept, Settings), warnings
    except (msgspec.ValidationError, ValueError) as error:
        # Fields valid one by one but not together: nothing of the kind exists today.
        return Settings(), [*warnings, f"settings ignored: {error}"]


def _valid_fields(
    struct: type[msgspec.Struct], raw: dict[object, object], prefix: str, warnings: list[str]
) -> dict[str, object]:
    fields = {f.encode_name: f for f in msgspec.structs.fields(struct)}
    kept: dict[str, object] = {}
    for key, value in raw.items():
        name = f"{prefix}{key}"
        field = fields.get(key) if isinstance(key, str) else None
        if field is None:
            warnings.append(f"unknown setting {name!r} ignored")
            continue
        if field.type is EmbeddingSettings and value == []:
            value = {}
        if field.type is EmbeddingSettings and isinstance(value, dict):
            value = _valid_fields(EmbeddingSettings, value, f"{name}.", warnings)
        try:
            msgspec.convert({key: value}, struct)
        except (msgspec.ValidationError, ValueError) as error:
            warnings.append(f"setting {name!r} ignored ({_reason(error)}); using the default")
            continue
        kept[str(key)] = value
    return kept


def _reason(error: Exception) -> str:
    # msgspec appends "- at `$.key`"; the caller already names the key.
    return str(error).split(" - at `", 1)[0]
