"""TypeScript (with TSX): tree-sitter-typescript, `.ts`, `.tsx`, `.mts`, `.cts` files.

`.tsx` files parse with the tsx grammar (`suffix_grammars`): one language, so a
`.ts` file's import of a component in a `.tsx` file resolves inside one model. `.d.ts`
declaration files are indexed like any other file: their `declare` functions,
interfaces and types are symbols. The extraction, layout and resolver are shared
with JavaScript (`kenning.languages.javascript`), which has its own queries.
"""

from __future__ import annotations

from importlib import resources

import tree_sitter_typescript

from kenning.languages.base import LanguageSupport
from kenning.languages.typescript.extract import ScriptExtraction
from kenning.languages.typescript.layout import LAYOUT_FILES, ScriptLayout, path_module
from kenning.languages.typescript.resolve import MAX_NAME_ONLY_CANDIDATES, ScriptResolver
from kenning.parse.language import LanguageSyntax


class TypeScriptExtraction(ScriptExtraction):
    types_source = resources.files(__name__).joinpath("queries/types.scm").read_text("utf-8")


TYPESCRIPT = LanguageSupport(
    syntax=LanguageSyntax(
        name="typescript",
        line_comment="//",
        stub_suffix=" { ... }",
        doc_comment_prefixes=("/**",),
    ),
    grammar_loader=tree_sitter_typescript.language_typescript,
    package=__name__,
    extraction=TypeScriptExtraction,
    suffixes=(".ts", ".tsx", ".mts", ".cts"),
    language_ids=("typescript", "typescriptreact"),
    workspace_markers=("tsconfig.json", "package.json"),
    imports_export=True,
    path_module=path_module,
    make_layout=ScriptLayout,
    make_resolver=ScriptResolver,
    name_only_limit=MAX_NAME_ONLY_CANDIDATES,
    layout_files=LAYOUT_FILES,
    suffix_grammars=((".tsx", tree_sitter_typescript.language_tsx),),
)
