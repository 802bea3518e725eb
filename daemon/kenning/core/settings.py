"""The one settings tree: typed, defaulted, validated once.

Every knob kenning has lives here. The CLI and (later) the LSP server build one
`Settings` value and pass it down; no module keeps settings in globals.
"""

from __future__ import annotations

import msgspec

DEFAULT_MAX_FILE_SIZE = 1024 * 1024


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

    def __post_init__(self) -> None:
        if self.max_file_size <= 0:
            raise ValueError("maxFileSize must be a positive number of bytes")
        if self.parse_workers < 0:
            raise ValueError("parseWorkers must be 0 (one per core) or more")
        if self.bulk_threshold < 1:
            raise ValueError("bulkThreshold must be at least 1")
