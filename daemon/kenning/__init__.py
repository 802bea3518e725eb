"""kenning: a code-intelligence daemon that keeps a live code graph and chunk index of a workspace."""

__version__ = "0.1.0"
