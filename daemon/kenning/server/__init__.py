"""The language server: the only code that knows LSP (pygls and lsprotocol).

`serve()` runs it over stdio or TCP; `handlers.py` holds the LSP handlers,
`daemon.py` the server's state, `protocol.py` kenning's own methods.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def serve(tcp: tuple[str, int] | None = None, log_file: Path | None = None,
          log_level: str = "INFO") -> int:  # fmt: skip
    """Serve one editor session; returns when it ends. Logs go to stderr or `log_file`,
    never stdout (stdout is the protocol's channel)."""
    from kenning.server.handlers import create_server

    handler: logging.Handler = (
        logging.FileHandler(log_file) if log_file else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(log_level.upper())
    # pygls logs every message at INFO; keep its chatter out unless debugging.
    if root.level > logging.DEBUG:
        logging.getLogger("pygls").setLevel(logging.WARNING)
    server = create_server()
    try:
        if tcp is not None:
            server.start_tcp(*tcp)
        else:
            server.start_io()
    finally:
        server.close()
    return 0
