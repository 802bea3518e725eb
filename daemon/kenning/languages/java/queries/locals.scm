; Variables whose type the code states: fields, parameters, locals, for-each and catch
; variables, try resources and pattern variables. @local.name is the variable,
; @local.type its declared type (`var` included: extraction reads `new Foo()` then).
; @local.value, when present, is the initializer. A multi-catch (`A | B e`) states no
; single type, so only a one-type catch matches.

(field_declaration
  type: (_) @local.type
  declarator: (variable_declarator
    name: (identifier) @local.name)) @local.field

(local_variable_declaration
  type: (_) @local.type
  declarator: (variable_declarator
    name: (identifier) @local.name
    value: (_)? @local.value)) @local.variable

(formal_parameter
  type: (_) @local.type
  name: (identifier) @local.name) @local.parameter

(spread_parameter
  (_) @local.type
  (variable_declarator
    name: (identifier) @local.name)) @local.parameter

(catch_formal_parameter
  (catch_type . (_) @local.type .)
  name: (identifier) @local.name) @local.parameter

(enhanced_for_statement
  type: (_) @local.type
  name: (identifier) @local.name) @local.loop

(resource
  type: (_) @local.type
  name: (identifier) @local.name) @local.resource

(instanceof_expression
  right: (_) @local.type
  name: (identifier) @local.name) @local.pattern

; Untyped lambda parameters state no type, but they hide a field of the same name.
(lambda_expression
  parameters: (identifier) @local.name) @local.lambda

(lambda_expression
  parameters: (inferred_parameters (identifier) @local.name)) @local.lambda
