; A docstring is a string literal that is the first statement of a module or block;
; comments before it do not count as statements. @docstring.owner is the body.

(module
  .
  (comment)*
  .
  (expression_statement . (string) @docstring)) @docstring.owner

(block
  .
  (comment)*
  .
  (expression_statement . (string) @docstring)) @docstring.owner
