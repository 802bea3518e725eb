"""The embedding model: which files to load (`resolve_model`) and running them (`EmbeddingModel`).

A model name is one of three things:

- `all-MiniLM-L6-v2` (the default): bundled with kenning and loaded offline. By default
  an optimised file is built from the shipped one on first use, cached, and used only if
  its embeddings agree with the shipped file's on the texts in `sample`; otherwise the
  shipped file is used and `ResolvedModel.note` says why.
- a path to a local folder with one `.onnx` file (token embeddings out, mean-pooled and
  normalised here) and its tokenizer files.
- any other fastembed model name (`BAAI/bge-small-en-v1.5`), which fastembed downloads
  into the cache directory where the network allows.

Every vector is recorded with `ResolvedModel.model_id`: the model's name and the first 12
hex digits of the sha256 of the ONNX file actually used, so vectors from the shipped and
the optimised file are never mixed up.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import msgspec
import numpy as np

from kenning.embed import bundled
from kenning.embed.errors import ModelError
from kenning.embed.files import (
    HashCache,
    atomic_write_text,
    discard_dir,
    new_staging_dir,
    publish_dir,
)
from kenning.embed.sample import CHECK_CHUNKS, CHECK_QUERIES

if TYPE_CHECKING:
    from tokenizers import Tokenizer

__all__ = [
    "DEFAULT_MODEL",
    "MIN_COSINE",
    "EmbeddingModel",
    "ModelError",
    "ResolvedModel",
    "default_cache_dir",
    "resolve_model",
]

DEFAULT_MODEL = bundled.NAME
# An optimised file is used only if, for every text of the check sample, the cosine
# between its embedding and the shipped file's is at least this.
MIN_COSINE = 0.99

OPTIMIZED_FILE = "model_optimized.onnx"
CHECK_FILE = "check.json"
HASHES_FILE = "hashes.json"

Source = Literal["bundled", "folder", "fastembed"]


class ResolvedModel(msgspec.Struct, frozen=True):
    """The files of a model, located (and built) by `resolve_model`; cheap to pass around."""

    name: str  # as configured
    model_id: str  # "<model>@<first 12 hex of the onnx file's sha256>"
    folder: str  # the folder fastembed loads
    model_file: str  # the onnx file's name inside `folder`
    dim: int
    max_tokens: int  # texts are truncated to this many tokens
    optimized: bool
    note: str = ""  # for the status, e.g. why the optimised file is not used
    source: Source = "bundled"  # how `folder` came to be; decides how fastembed loads it


class CheckRecord(msgspec.Struct, frozen=True):
    """`check.json`, next to an optimised file: how well it agrees with the shipped file."""

    source_sha256: str
    sha256: str  # of the optimised file
    min_cosine: float
    texts: int
    recipe: int
    onnxruntime: str
    build: dict[str, int] = {}


def default_cache_dir() -> Path:
    """`$KENNING_CACHE_DIR`, else `$XDG_CACHE_HOME/kenning`, else `~/.cache/kenning`."""
    if env := os.environ.get("KENNING_CACHE_DIR"):
        return Path(env).expanduser()
    if xdg := os.environ.get("XDG_CACHE_HOME"):
        return Path(xdg).expanduser() / "kenning"
    return Path.home() / ".cache" / "kenning"


def resolve_model(
    name: str = DEFAULT_MODEL,
    *,
    optimize: bool = True,
    cache_dir: Path | None = None,
    min_cosine: float = MIN_COSINE,
) -> ResolvedModel:
    """Locate, check and (for the default model) optimise the files of model `name`.

    Raises `ModelError` for an unknown name, a bad folder, or bundled files that are
    missing or altered. A failed or rejected optimisation is not an error: the shipped
    file is used and the result's `note` says why.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if name.lower() == DEFAULT_MODEL.lower():
        return _resolve_bundled(name, cache, optimize=optimize, min_cosine=min_cosine)
    path = Path(name).expanduser()
    if path.is_dir():
        return _resolve_folder(name, path, cache)
    if path.is_absolute() or name.startswith((".", "~")) or path.exists():
        raise ModelError(f"embedding model {name!r}: {path} is not a folder")
    return _resolve_fastembed(name, cache)


class EmbeddingModel:
    """A loaded model: embeds texts and counts their tokens.

    `threads` is ONNX Runtime's number of intra-op threads; no other threads are made.
    """

    def __init__(self, resolved: ResolvedModel, threads: int) -> None:
        self.resolved = resolved
        self.model_id = resolved.model_id
        self.dim = resolved.dim
        self._embedding = _text_embedding(resolved, threads)
        self._tokenizer = _counting_tokenizer(Path(resolved.folder), resolved.max_tokens)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, shape `(len(texts), dim)`, float32; one ONNX Runtime run per call."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batch = list(texts)
        vectors = np.asarray(
            list(self._embedding.embed(batch, batch_size=len(batch))), dtype=np.float32
        )
        if vectors.shape != (len(batch), self.dim):
            raise ModelError(
                f"{self.model_id} gave vectors of shape {vectors.shape}, "
                f"expected ({len(batch)}, {self.dim})"
            )
        return vectors

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens per text after truncation, special tokens included, as the model sees them."""
        return [len(e.ids) for e in self._tokenizer.encode_batch(list(texts))]


# --- the bundled model ------------------------------------------------------------------


def _resolve_bundled(name: str, cache: Path, *, optimize: bool, min_cosine: float) -> ResolvedModel:
    onnx_path = bundled.locate_onnx()
    hashes = HashCache(cache / HASHES_FILE)
    sha = hashes.sha256(onnx_path)
    bundled.check_onnx_digest(onnx_path, sha)
    tokenizer_digest = bundled.verify_vendored()
    home = cache / "models" / DEFAULT_MODEL
    try:
        folder = bundled.assemble_folder(
            home / f"shipped-{sha[:12]}-{tokenizer_digest[:8]}", onnx_path
        )
    except OSError as e:
        raise ModelError(f"cannot write the model folder in the cache {cache}: {e}") from e
    shipped = ResolvedModel(
        name=name,
        model_id=f"{DEFAULT_MODEL}@{sha[:12]}",
        folder=str(folder),
        model_file=bundled.MODEL_FILE,
        dim=bundled.DIM,
        max_tokens=bundled.MAX_TOKENS,
        optimized=False,
    )
    if not optimize:
        return shipped
    from kenning.embed.optimize import RECIPE

    ort_version = _version("onnxruntime")
    target = home / f"optimized-{sha[:12]}-{tokenizer_digest[:8]}-r{RECIPE}-ort{ort_version}"
    return _optimized_or_shipped(shipped, onnx_path, sha, target, hashes, min_cosine)


def _optimized_or_shipped(
    shipped: ResolvedModel,
    onnx_path: Path,
    sha: str,
    target: Path,
    hashes: HashCache,
    min_cosine: float,
) -> ResolvedModel:
    record = _read_check(target, hashes)
    if record is None:
        try:
            record = _build_optimized(shipped, onnx_path, sha, target, hashes)
        except Exception as e:  # any failure falls back to the shipped file
            return msgspec.structs.replace(
                shipped,
                note=f"could not build the optimised model file ({type(e).__name__}: {e}); "
                "using the shipped file",
            )
    if not record.min_cosine >= min_cosine:
        return msgspec.structs.replace(
            shipped,
            note=f"optimised file rejected (min cosine {record.min_cosine:.4f} < {min_cosine}); "
            "using the shipped file",
        )
    return msgspec.structs.replace(
        shipped,
        model_id=f"{DEFAULT_MODEL}@{record.sha256[:12]}",
        folder=str(target),
        model_file=OPTIMIZED_FILE,
        optimized=True,
    )


def _read_check(target: Path, hashes: HashCache) -> CheckRecord | None:
    """The check record of a cached optimised file, if the file is still the one checked.

    A damaged, altered or half-present folder is discarded, to be built again.
    """
    if not target.is_dir():
        return None
    try:
        record = msgspec.json.decode((target / CHECK_FILE).read_bytes(), type=CheckRecord)
        unchanged = hashes.sha256(target / OPTIMIZED_FILE) == record.sha256
        if unchanged and bundled.tokenizer_files_match(target):
            return record
    except (OSError, msgspec.ValidationError, msgspec.DecodeError):
        pass
    discard_dir(target)
    return None


def _build_optimized(
    shipped: ResolvedModel, onnx_path: Path, sha: str, target: Path, hashes: HashCache
) -> CheckRecord:
    """Build the optimised file in a staging folder, check it, record the check, publish.

    The folder is published whether or not the file passes, so the check is not redone at
    every start; the recorded minimum cosine decides at each resolve.
    """
    from kenning.embed.optimize import RECIPE, build_optimized_onnx

    config = json.loads((bundled.VENDORED / "config.json").read_text(encoding="utf-8"))
    staging = new_staging_dir(target)
    try:
        bundled.write_tokenizer_files(staging)
        report = build_optimized_onnx(
            onnx_path,
            staging / OPTIMIZED_FILE,
            num_heads=int(config["num_attention_heads"]),
            hidden_size=int(config["hidden_size"]),
        )
        candidate = msgspec.structs.replace(shipped, folder=str(staging), model_file=OPTIMIZED_FILE)
        record = CheckRecord(
            source_sha256=sha,
            sha256=hashes.sha256(staging / OPTIMIZED_FILE),
            min_cosine=agreement(shipped, candidate),
            texts=len(CHECK_CHUNKS) + len(CHECK_QUERIES),
            recipe=RECIPE,
            onnxruntime=_version("onnxruntime"),
            build=msgspec.structs.asdict(report),
        )
        atomic_write_text(staging / CHECK_FILE, msgspec.json.encode(record).decode() + "\n")
        if publish_dir(staging, target):
            return record
        # Another process published first: use its folder and its record.
        published = _read_check(target, hashes)
        if published is None:
            raise ModelError(f"another process left a damaged {target}")
        return published
    finally:
        # Published or not, the staging folder is gone or no longer needed.
        if staging.exists():
            discard_dir(staging)


def agreement(
    reference: ResolvedModel,
    candidate: ResolvedModel,
    chunks: Sequence[str] = CHECK_CHUNKS,
    queries: Sequence[str] = CHECK_QUERIES,
) -> float:
    """The smallest cosine between two models' vectors, over `chunks` embedded in one batch
    and `queries` embedded one at a time, as the indexer and the search do."""
    threads = min(2, os.cpu_count() or 1)
    cosines: list[float] = []
    expected, actual = EmbeddingModel(reference, threads), EmbeddingModel(candidate, threads)
    batches = [list(chunks)] + [[query] for query in queries]
    for batch in batches:
        cosines.extend(np.sum(expected.embed(batch) * actual.embed(batch), axis=1).tolist())
    smallest = min(cosines)
    return smallest if math.isfinite(smallest) else -1.0


# --- local folders and fastembed names ---------------------------------------------------


def _resolve_folder(name: str, folder: Path, cache: Path) -> ResolvedModel:
    expected = (
        "expected a folder with one .onnx file whose first output is token embeddings "
        "(batch, sequence, dim), and tokenizer.json plus tokenizer_config.json"
    )
    onnx_files = sorted(p.name for p in folder.glob("*.onnx"))
    if len(onnx_files) > 1 and "model.onnx" in onnx_files:
        onnx_files = ["model.onnx"]
    if len(onnx_files) != 1:
        found = ", ".join(onnx_files) if onnx_files else "no .onnx file"
        raise ModelError(f"embedding model folder {folder}: found {found}; {expected}")
    model_file = onnx_files[0]
    missing = [f for f in ("tokenizer.json", "tokenizer_config.json") if not (folder / f).is_file()]
    if missing:
        raise ModelError(
            f"embedding model folder {folder}: missing {', '.join(missing)}; {expected}"
        )
    max_tokens = _max_tokens(folder)
    _counting_tokenizer(folder, max_tokens)  # fails now, with the folder named, if unreadable
    dim = _token_embedding_dim(folder, model_file, expected)
    sha = HashCache(cache / HASHES_FILE).sha256(folder / model_file)
    return ResolvedModel(
        name=name,
        model_id=f"{folder.resolve().name}@{sha[:12]}",
        folder=str(folder.resolve()),
        model_file=model_file,
        dim=dim,
        max_tokens=max_tokens,
        optimized=False,
        source="folder",
    )


def _token_embedding_dim(folder: Path, model_file: str, expected: str) -> int:
    import onnx

    try:
        graph = onnx.load(str(folder / model_file), load_external_data=False).graph
    except Exception as e:
        raise ModelError(f"embedding model folder {folder}: cannot read {model_file}: {e}") from e
    dims = list(graph.output[0].type.tensor_type.shape.dim) if graph.output else []
    if len(dims) != 3:
        raise ModelError(
            f"embedding model folder {folder}: the first output of {model_file} has "
            f"{len(dims)} dimensions; {expected}"
        )
    if dims[2].HasField("dim_value") and dims[2].dim_value > 0:
        return int(dims[2].dim_value)
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        return int(config["hidden_size"])
    except (OSError, ValueError, KeyError, TypeError):
        raise ModelError(
            f"embedding model folder {folder}: the embedding size is not fixed in "
            f"{model_file} and config.json has no hidden_size"
        ) from None


def _resolve_fastembed(name: str, cache: Path) -> ResolvedModel:
    from fastembed import TextEmbedding

    known = {m["model"].lower(): m for m in TextEmbedding.list_supported_models()}
    description = known.get(name.lower())
    if description is None:
        raise ModelError(
            f"unknown embedding model {name!r}: expected {DEFAULT_MODEL!r} (bundled), a "
            "fastembed model name such as 'BAAI/bge-small-en-v1.5', or the path of a folder "
            "with an .onnx file and its tokenizer files"
        )
    try:
        # fastembed downloads the files into `cache_dir` unless they are there already.
        embedding = TextEmbedding(
            model_name=description["model"], cache_dir=str(cache / "fastembed"), lazy_load=True
        )
    except Exception as e:
        raise ModelError(f"cannot get embedding model {name!r} through fastembed: {e}") from e
    # fastembed has no public accessor for the folder it downloaded into.
    folder = Path(getattr(embedding.model, "_model_dir", ""))
    model_file = str(description["model_file"])
    if not (folder / model_file).is_file():
        raise ModelError(f"fastembed did not leave {model_file} for {name!r} in {folder}")
    sha = HashCache(cache / HASHES_FILE).sha256(folder / model_file)
    return ResolvedModel(
        name=name,
        model_id=f"{description['model']}@{sha[:12]}",
        folder=str(folder),
        model_file=model_file,
        dim=int(description["dim"]),
        max_tokens=_max_tokens(folder),
        optimized=False,
        source="fastembed",
    )


# --- loading -----------------------------------------------------------------------------


def _text_embedding(resolved: ResolvedModel, threads: int) -> Any:
    if resolved.source != "fastembed":
        # Local files only: make sure huggingface_hub, if fastembed brings it in now, never
        # tries the network. An explicit setting by the user wins.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from fastembed import TextEmbedding
    from fastembed.common.model_description import ModelSource, PoolingType

    name = resolved.name
    if resolved.source != "fastembed":
        # fastembed loads a local folder only for a registered model name. The registration
        # says no more than how the folder is used, so one name serves every such folder.
        name = f"kenning/mean-normalized/{resolved.dim}/{resolved.model_file}"
        registered = {m["model"].lower() for m in TextEmbedding.list_supported_models()}
        if name.lower() not in registered:
            TextEmbedding.add_custom_model(
                model=name,
                pooling=PoolingType.MEAN,
                normalization=True,
                sources=ModelSource(hf=name),
                dim=resolved.dim,
                model_file=resolved.model_file,
            )
    try:
        return TextEmbedding(
            model_name=name,
            specific_model_path=resolved.folder,
            # Unused with `specific_model_path`, but fastembed creates it: keep it ours.
            cache_dir=resolved.folder,
            threads=threads,
        )
    except Exception as e:
        raise ModelError(f"cannot load embedding model {resolved.model_id}: {e}") from e


def _counting_tokenizer(folder: Path, max_tokens: int) -> Tokenizer:
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    except Exception as e:
        raise ModelError(f"cannot read the tokenizer in {folder}: {e}") from e
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.no_padding()  # tokenizer.json may pad to a fixed length
    return tokenizer


def _max_tokens(folder: Path) -> int:
    """The truncation length fastembed will use: the smaller of the two config keys."""
    try:
        config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelError(f"cannot read {folder / 'tokenizer_config.json'}: {e}") from e
    limits = [
        value
        for value in (config.get("model_max_length"), config.get("max_length"))
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 1 << 31
    ]
    if not limits:
        raise ModelError(
            f"{folder / 'tokenizer_config.json'} sets no usable model_max_length or max_length"
        )
    return min(limits)


def _version(distribution: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
