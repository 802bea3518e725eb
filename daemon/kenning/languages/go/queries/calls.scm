; Call sites. @call.callee is the called expression, @call.name the called name and
; @call.receiver the operand it is selected from (a package, a value or a type).

; f(), and a generic call with explicit type arguments: f[int]()
(call_expression
  function: (identifier) @call.callee @call.name)

; x.f(), pkg.F(), a.b.c.f(), (*T).f(), NewT().f()
(call_expression
  function: (selector_expression
    operand: (_) @call.receiver
    field: (field_identifier) @call.name) @call.callee)

; Map[int](xs) parses as a conversion to a generic type; it is a call of `Map`.
(type_conversion_expression
  type: (generic_type
    type: [
      (type_identifier) @call.name
      (qualified_type name: (type_identifier) @call.name)
    ]) @call.callee)

; Anything else (func() {...}(), fs[i](), f()(), (f)()): no single name node, so the
; extraction derives a name from the callee.
(call_expression
  function: [
    (func_literal)
    (index_expression)
    (call_expression)
    (parenthesized_expression)
    (type_assertion_expression)
    (generic_type)
    (unary_expression)
  ] @call.callee @call.odd)
