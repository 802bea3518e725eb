"""Java: tree-sitter-java, `.java` files, names from `package` declarations."""

from __future__ import annotations

import tree_sitter_java

from kenning.languages.base import LanguageSupport
from kenning.languages.java.extract import JavaExtraction
from kenning.languages.java.layout import JavaLayout
from kenning.languages.java.resolve import MAX_NAME_ONLY_CANDIDATES, JavaResolver
from kenning.parse.language import LanguageSyntax

JAVA = LanguageSupport(
    syntax=LanguageSyntax(
        name="java", line_comment="//", stub_suffix=" { ... }", doc_comment_prefixes=("/**",)
    ),
    grammar_loader=tree_sitter_java.language,
    package=__name__,
    extraction=JavaExtraction,
    suffixes=(".java",),
    # VS Code and Neovim both call it `java`.
    language_ids=("java",),
    workspace_markers=("pom.xml", "build.gradle", "build.gradle.kts"),
    make_layout=JavaLayout,
    make_resolver=JavaResolver,
    name_only_limit=MAX_NAME_ONLY_CANDIDATES,
    # Names come from `package` lines, never from build files (see layout.py).
    layout_files=frozenset(),
)
