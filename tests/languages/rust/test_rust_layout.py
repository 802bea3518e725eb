"""Rust module names from the Cargo layout, checked table by table."""

from __future__ import annotations

from pathlib import Path

import pytest

from kenning.languages.rust.layout import RustLayout

MANIFESTS = {
    "Cargo.toml": '[workspace]\nmembers = ["crates/*"]\n',
    "crates/my-core/Cargo.toml": '[package]\nname = "my-core"\n',
    "crates/renamed/Cargo.toml": '[package]\nname = "pkg"\n[lib]\nname = "lib_name"\n',
    "crates/rootlib/Cargo.toml": '[package]\nname = "rootlib"\n[lib]\npath = "lib.rs"\n',
    "crates/broken/Cargo.toml": "[package\nname = ",
}

CASES = [
    ("crates/my-core/src/lib.rs", "my_core"),
    ("crates/my-core/src/main.rs", "my_core"),
    ("crates/my-core/src/a.rs", "my_core::a"),
    ("crates/my-core/src/a/mod.rs", "my_core::a"),
    ("crates/my-core/src/a/b.rs", "my_core::a::b"),
    ("crates/my-core/src/bin/tool.rs", "tool"),
    ("crates/my-core/src/bin/tool/main.rs", "tool"),
    ("crates/my-core/src/bin/tool/args.rs", "tool::args"),
    ("crates/my-core/examples/demo.rs", "demo"),
    ("crates/my-core/tests/it.rs", "it"),
    ("crates/my-core/tests/common/mod.rs", "common"),
    ("crates/my-core/benches/speed.rs", "speed"),
    ("crates/my-core/build.rs", "build_script_build"),
    ("crates/renamed/src/lib.rs", "lib_name"),
    ("crates/renamed/src/x.rs", "lib_name::x"),
    ("crates/rootlib/lib.rs", "rootlib"),
    ("crates/rootlib/m.rs", "rootlib::m"),
    ("crates/broken/src/lib.rs", "broken"),
    ("loose/script.rs", "loose::script"),
]


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> RustLayout:
    root = tmp_path_factory.mktemp("cargo")
    for path, text in MANIFESTS.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return RustLayout(root, [])


@pytest.mark.parametrize(("path", "module"), CASES, ids=[c[0] for c in CASES])
def test_module_names(layout: RustLayout, path: str, module: str) -> None:
    assert layout.module_name(path) == module


def test_a_new_manifest_renames_the_modules_below_it(tmp_path: Path) -> None:
    layout = RustLayout(tmp_path, [])
    assert layout.module_name("app/src/lib.rs") == "src"
    (tmp_path / "app").mkdir()
    (tmp_path / "app/Cargo.toml").write_text('[package]\nname = "app"\n')
    layout.add("app/Cargo.toml")
    assert layout.module_name("app/src/lib.rs") == "app"
