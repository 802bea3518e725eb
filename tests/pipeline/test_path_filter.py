"""`PathFilter` judges single paths exactly as a `discover` walk does."""

from __future__ import annotations

from pathlib import Path

from kenning.core.settings import Settings
from kenning.pipeline.discover import PathFilter, discover

TREE = {
    ".gitignore": "*.gen.py\nlogs/\n/top_only.py\n",
    ".git/info/exclude": "excluded_by_info.py\n",
    ".git/hooks/hook.py": "",
    ".kenning/cache.py": "",
    "top_only.py": "",
    "keep.py": "",
    "notes.txt": "",
    "model.gen.py": "",
    "logs/run.py": "",
    "excluded_by_info.py": "",
    "pkg/__init__.py": "",
    "pkg/top_only.py": "",
    "pkg/.gitignore": "secret*.py\n!secret_ok.py\n",
    "pkg/secret.py": "",
    "pkg/secret_ok.py": "",
    "pkg/sub/.kenningignore": "!*.gen.py\nskip_me.py\n",
    "pkg/sub/kept.gen.py": "",
    "pkg/sub/skip_me.py": "",
    "pkg/sub/deep/mod.pyi": "",
    "pkg/build/__init__.py": "",
    "pkg/build/real.py": "",
    "build/lib/out.py": "",
    "node_modules/x/y.py": "",
    "myenv/pyvenv.cfg": "",
    "myenv/lib/site.py": "",
    "thing.egg-info/x.py": "",
    "excluded/by_settings.py": "",
}
SETTINGS = Settings(exclude=("excluded/",))


def test_path_filter_agrees_with_discover(tmp_path: Path) -> None:
    for rel, content in TREE.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(content, encoding="utf-8")
    discovered = {f.path for f in discover(tmp_path, SETTINGS).files}
    assert discovered == {
        "keep.py",
        "pkg/__init__.py",
        "pkg/top_only.py",
        "pkg/secret_ok.py",
        "pkg/sub/kept.gen.py",
        "pkg/sub/deep/mod.pyi",
        "pkg/build/__init__.py",
        "pkg/build/real.py",
    }
    path_filter = PathFilter(tmp_path, SETTINGS)
    accepted = {rel for rel in TREE if path_filter.accepts(rel)}
    assert accepted == discovered
    # Files that do not exist are judged by their names (a deletion event).
    assert path_filter.accepts("pkg/sub/gone.py")
    assert not path_filter.accepts("logs/gone.py")
    assert not path_filter.accepts("../outside.py")
    # Folders: what the walk enters.
    assert path_filter.enters("") and path_filter.enters("pkg/sub/deep")
    assert not any(map(path_filter.enters, ["logs", ".git", ".kenning", "myenv", "build/lib"]))


def test_forget_picks_up_a_changed_ignore_file(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("", encoding="utf-8")
    path_filter = PathFilter(tmp_path, Settings())
    assert path_filter.accepts("a.py")
    (tmp_path / ".gitignore").write_text("a.py\n", encoding="utf-8")
    path_filter.forget()
    assert not path_filter.accepts("a.py")
