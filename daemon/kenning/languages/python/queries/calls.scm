; Call sites. @call.callee is the called expression, @call.name the called name and
; @call.receiver the object it is looked up on.

; foo()
(call
  function: (identifier) @call.callee @call.name)

; obj.attr()
(call
  function: (attribute
    object: (_) @call.receiver
    attribute: (identifier) @call.name) @call.callee)

; Anything else (make()(), handlers[k](), (lambda: 0)()): the name is not a single
; node, so extraction derives it from the callee expression.
(call
  function: [
    (call)
    (subscript)
    (parenthesized_expression)
    (await)
    (binary_operator)
    (unary_operator)
    (string)
    (concatenated_string)
    (list)
    (tuple)
    (dictionary)
    (set)
    (list_comprehension)
    (dictionary_comprehension)
    (set_comprehension)
    (generator_expression)
    (integer)
    (float)
    (true)
    (false)
    (none)
    (ellipsis)
    (list_splat)
  ] @call.callee @call.odd)
