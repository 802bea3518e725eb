; Definitions: every function (or method) and class, with the parts a symbol needs.
; Role captures: @definition.function, @definition.class, @definition.decorated.

(function_definition
  name: (identifier) @name
  parameters: (parameters) @parameters
  return_type: (_)? @return_type
  body: (block) @body) @definition.function

(class_definition
  name: (identifier) @name
  superclasses: (argument_list)? @superclasses
  body: (block) @body) @definition.class

; Decorators belong to the wrapping node, whose span is the symbol's span.
(decorated_definition
  (decorator)+ @decorator
  definition: (_) @decorated) @definition.decorated
