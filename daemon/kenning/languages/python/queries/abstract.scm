; Methods whose body only raises NotImplementedError (after an optional docstring):
; abstract in all but name, so a call through the base reaches an override instead.
; Part of the combined query (`extra_concerns`); `extract.py` reads its matches only
; in files that mention NotImplementedError, and checks the raised name.

(function_definition
  body: (block . (raise_statement) @abstract.raise .))

(function_definition
  body: (block . (expression_statement (string)) . (raise_statement) @abstract.raise .))
