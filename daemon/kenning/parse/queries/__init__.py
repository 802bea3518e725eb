"""Per-language tree-sitter query files (package data), one folder per language."""
