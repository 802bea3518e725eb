"""Rust: tree-sitter-rust, `.rs` files, modules named from Cargo packages."""

from __future__ import annotations

import tree_sitter_rust

from kenning.languages.base import LanguageSupport
from kenning.languages.rust.extract import RustExtraction
from kenning.languages.rust.layout import MANIFEST, RustLayout
from kenning.languages.rust.resolve import MAX_NAME_ONLY_CANDIDATES, RustResolver
from kenning.parse.language import LanguageSyntax

RUST = LanguageSupport(
    syntax=LanguageSyntax(
        name="rust",
        line_comment="//",
        stub_suffix=" { ... }",
        separator="::",
        doc_comment_prefixes=("///", "//!"),
    ),
    grammar_loader=tree_sitter_rust.language,
    package=__name__,
    extraction=RustExtraction,
    suffixes=(".rs",),
    language_ids=("rust",),
    workspace_markers=("Cargo.toml",),
    make_layout=RustLayout,
    make_resolver=RustResolver,
    name_only_limit=MAX_NAME_ONLY_CANDIDATES,
    layout_files=frozenset({MANIFEST}),
)
