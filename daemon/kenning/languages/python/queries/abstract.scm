; Methods whose body only raises NotImplementedError (after an optional docstring):
; abstract in all but name, so a call through the base reaches an override instead.
; Run only for files that mention NotImplementedError; `extract.py` checks the
; raised name.

(function_definition
  body: (block . (raise_statement) @abstract.raise .))

(function_definition
  body: (block . (expression_statement (string)) . (raise_statement) @abstract.raise .))
