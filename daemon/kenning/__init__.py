"""kenning: a code-intelligence daemon keeping a live code graph and chunk index of a workspace."""

__version__ = "0.1.0"
