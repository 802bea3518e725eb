"""Python: tree-sitter-python, `.py` and `.pyi` files, packages by `__init__.py`."""

from __future__ import annotations

import tree_sitter_python

from kenning.languages.base import LanguageSupport
from kenning.languages.python.extract import PythonExtraction
from kenning.languages.python.layout import PACKAGE_FILES, PythonLayout
from kenning.languages.python.resolve import MAX_NAME_ONLY_CANDIDATES, PythonResolver
from kenning.parse.language import LanguageSyntax

PYTHON = LanguageSupport(
    syntax=LanguageSyntax(name="python", line_comment="#", stub_suffix=": ..."),
    grammar_loader=tree_sitter_python.language,
    package=__name__,
    extraction=PythonExtraction,
    suffixes=(".py", ".pyi"),
    language_ids=("python",),
    workspace_markers=("pyproject.toml", "setup.py", "setup.cfg"),
    make_layout=PythonLayout,
    make_resolver=PythonResolver,
    name_only_limit=MAX_NAME_ONLY_CANDIDATES,
    layout_files=frozenset(PACKAGE_FILES),
    source_markers=frozenset({"__init__.py"}),
    imports_export=True,
    # Read on every file (abstract methods: on those naming NotImplementedError): in
    # the combined query they cost no walk of the tree of their own.
    extra_concerns=("receivers", "abstract"),
)
