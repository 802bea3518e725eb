; Call sites. Macro invocations (`println!`) are not calls: their arguments are token
; trees the grammar does not parse, and a macro is no function kenning can point at.

; foo()
(call_expression
  function: (identifier) @call.callee @call.name)

; a::b::f(), Type::new(), Self::m(), <T as Trait>::m()
(call_expression
  function: (scoped_identifier
    path: (_) @call.receiver
    name: (identifier) @call.name) @call.callee)

; x.m(), self.field.m()
(call_expression
  function: (field_expression
    value: (_) @call.receiver
    field: (field_identifier) @call.name) @call.callee)

; foo::<T>(), a::f::<T>()
(call_expression
  function: (generic_function
    function: (identifier) @call.name) @call.callee)

(call_expression
  function: (generic_function
    function: (scoped_identifier
      path: (_) @call.receiver
      name: (identifier) @call.name)) @call.callee)

(call_expression
  function: (generic_function
    function: (field_expression
      value: (_) @call.receiver
      field: (field_identifier) @call.name)) @call.callee)

; Anything else ((self.f)(), f()(), handlers[k](), closures): extraction names it.
(call_expression
  function: [
    (parenthesized_expression)
    (call_expression)
    (index_expression)
    (closure_expression)
    (field_expression field: (integer_literal))
    (try_expression)
    (await_expression)
    (unary_expression)
    (reference_expression)
    (macro_invocation)
    (block)
  ] @call.callee @call.odd)
