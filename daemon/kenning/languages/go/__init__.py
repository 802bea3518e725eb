"""Go: tree-sitter-go, `.go` files, packages named by import path from `go.mod`."""

from __future__ import annotations

import tree_sitter_go

from kenning.languages.base import LanguageSupport
from kenning.languages.go.extract import GoExtraction
from kenning.languages.go.layout import GO_MOD, GoLayout
from kenning.languages.go.resolve import MAX_NAME_ONLY_CANDIDATES, GoResolver
from kenning.parse.language import LanguageSyntax

GO = LanguageSupport(
    syntax=LanguageSyntax(
        name="go", line_comment="//", stub_suffix=" { ... }", doc_comment_prefixes=("//",)
    ),
    grammar_loader=tree_sitter_go.language,
    package=__name__,
    extraction=GoExtraction,
    suffixes=(".go",),
    # VS Code and Neovim both call Go `go`.
    language_ids=("go",),
    workspace_markers=("go.mod",),
    make_layout=GoLayout,
    make_resolver=GoResolver,
    name_only_limit=MAX_NAME_ONLY_CANDIDATES,
    layout_files=frozenset({GO_MOD}),
)
