# TEMPORARY SHIM (not to be committed)
import os
from pathlib import Path
import msgspec
import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"


class ModelError(Exception): ...


class ResolvedModel(msgspec.Struct, frozen=True):
    name: str
    model_id: str
    folder: str
    model_file: str
    dim: int
    max_tokens: int
    optimized: bool
    note: str = ""


def resolve_model(name=DEFAULT_MODEL, *, optimize=True, cache_dir=None):
    folder = "/tmp/mm" if name == DEFAULT_MODEL else name
    if not Path(folder).is_dir():
        raise ModelError(f"no model {name}")
    return ResolvedModel(
        name, f"{Path(name).name}@8199be6f699a", folder, "model.onnx", 384, 256, False
    )


class EmbeddingModel:
    def __init__(self, resolved, threads):
        os.environ["HF_HUB_OFFLINE"] = "1"
        from fastembed import TextEmbedding
        from fastembed.common.model_description import PoolingType, ModelSource

        n = "kenning/" + resolved.model_id
        try:
            TextEmbedding.add_custom_model(
                model=n,
                pooling=PoolingType.MEAN,
                normalization=True,
                sources=ModelSource(hf="x/y"),
                dim=384,
                model_file="model.onnx",
            )
        except ValueError:
            pass
        self.resolved = resolved
        self.model_id = resolved.model_id
        self.dim = 384
        self.m = TextEmbedding(n, specific_model_path=resolved.folder, threads=threads)
        self.tok = self.m.model.tokenizer

    def embed(self, texts):
        return np.stack(list(self.m.embed(list(texts), batch_size=len(texts))))

    def count_tokens(self, texts):
        return [len(e.ids) for e in self.tok.encode_batch(list(texts))]
