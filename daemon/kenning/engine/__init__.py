"""The engine: the one API that front ends (CLI, LSP server, HTTP) call."""

from kenning.engine.engine import Engine, find_workspace

__all__ = ["Engine", "find_workspace"]
