"""The one error the embedding layer raises: a model that cannot be found, trusted or loaded.

Its message is shown to users as is, so it says what was expected and how to fix it.
"""

from __future__ import annotations


class ModelError(Exception):
    """A configured embedding model is unknown, missing, altered or unloadable."""
