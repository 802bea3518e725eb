; The crate's or module's own docs: `//!` lines at the top of a file. Items' `///`
; docs are the comments right above them (see `LanguageSyntax.doc_comment_prefixes`).

(source_file
  .
  (line_comment (inner_doc_comment_marker)) @docstring) @docstring.owner
