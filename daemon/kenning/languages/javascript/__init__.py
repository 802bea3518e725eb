"""JavaScript (ESM and CommonJS, with JSX): tree-sitter-javascript, `.js`, `.jsx`,
`.mjs`, `.cjs` files.

Its own queries (the JavaScript grammar has no type nodes); the extraction, module
layout and resolver are TypeScript's (`kenning.languages.typescript`), since the two
languages share their module system and scoping. The grammar parses JSX in any of
these files. A separate language from TypeScript, so calls between `.js` and `.ts`
files are not resolved (each language resolves inside its own model).
"""

from __future__ import annotations

from importlib import resources

import tree_sitter_javascript

from kenning.languages.base import LanguageSupport
from kenning.languages.typescript.extract import ScriptExtraction
from kenning.languages.typescript.layout import LAYOUT_FILES, ScriptLayout, path_module
from kenning.languages.typescript.resolve import MAX_NAME_ONLY_CANDIDATES, ScriptResolver
from kenning.parse.language import LanguageSyntax


class JavaScriptExtraction(ScriptExtraction):
    types_source = resources.files(__name__).joinpath("queries/types.scm").read_text("utf-8")


JAVASCRIPT = LanguageSupport(
    syntax=LanguageSyntax(
        name="javascript",
        line_comment="//",
        stub_suffix=" { ... }",
        doc_comment_prefixes=("/**",),
    ),
    grammar_loader=tree_sitter_javascript.language,
    package=__name__,
    extraction=JavaScriptExtraction,
    suffixes=(".js", ".jsx", ".mjs", ".cjs"),
    language_ids=("javascript", "javascriptreact"),
    workspace_markers=("jsconfig.json", "package.json"),
    imports_export=True,
    path_module=path_module,
    make_layout=ScriptLayout,
    make_resolver=ScriptResolver,
    name_only_limit=MAX_NAME_ONLY_CANDIDATES,
    layout_files=LAYOUT_FILES,
)
