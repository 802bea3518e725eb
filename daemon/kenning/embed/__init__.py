"""Embeddings: the model that turns chunks and queries into vectors, loaded offline.

`resolve_model` finds (and for the default model, optimises) a model's files;
`EmbeddingModel` loads them and embeds batches of texts. See `docs/embedding.md`.
"""

from kenning.embed.errors import ModelError
from kenning.embed.model import (
    DEFAULT_MODEL,
    MIN_COSINE,
    EmbeddingModel,
    ResolvedModel,
    default_cache_dir,
    resolve_model,
)

__all__ = [
    "DEFAULT_MODEL",
    "MIN_COSINE",
    "EmbeddingModel",
    "ModelError",
    "ResolvedModel",
    "default_cache_dir",
    "resolve_model",
]
