; Call sites. @call.callee is the called expression, @call.name the called name and
; @call.receiver the object it is looked up on. `new Foo()` is a call of Foo.

; f()
(call_expression
  function: (identifier) @call.callee @call.name)

; obj.m(), obj?.m(), this.#m()
(call_expression
  function: (member_expression
    object: (_) @call.receiver
    property: (_) @call.name) @call.callee)

; super(...): the base class's constructor.
(call_expression
  function: (super) @call.callee @call.name)

; new Foo(), new ns.Foo()
(new_expression
  constructor: (identifier) @call.callee @call.name)

(new_expression
  constructor: (member_expression
    object: (_) @call.receiver
    property: (_) @call.name) @call.callee)

; Anything else (make()(), handlers[k](), (a || b)()): extraction names it.
(call_expression
  function: [
    (call_expression)
    (subscript_expression)
    (parenthesized_expression)
    (await_expression)
    (non_null_expression)
    (arrow_function)
    (function_expression)
  ] @call.callee @call.odd)
