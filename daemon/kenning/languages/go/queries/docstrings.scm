; Go has no docstrings: docs are the `//` comments right above a declaration, read by
; the generic doc-comment rule. The one exception is the package's own doc, above
; the package clause, which belongs to the module symbol: @docstring is the comment
; right before the clause, and the extraction gathers the lines above it.

(source_file
  (comment) @docstring
  .
  (package_clause)) @docstring.owner
