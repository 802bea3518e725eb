; What the code states of a value's type, for typed resolution of `x.m()` calls, and
; code that may run a function without call syntax. A concern of Python's own
; (`extra_concerns`), compiled into the combined query: `extract.py` reads its matches
; once the definitions and calls are known, and keeps only what it can type. First:
; parameters with annotations, and assignments to a name or an attribute (their
; annotation or value says the type).

(typed_parameter
  .
  (identifier) @name
  type: (type) @type) @param

(typed_default_parameter
  name: (identifier) @name
  type: (type) @type) @param

(assignment
  left: [(identifier) (attribute)] @left) @assign

; `with make() as x`: `x` is what the value's `__enter__` returns.
(with_item
  value: (as_pattern
    .
    (_) @with.value
    alias: (as_pattern_target (identifier) @with.name))) @with

; `if isinstance(x, Foo):` states that `x` is a `Foo` in the block.
(if_statement
  condition: (call
    function: (identifier) @narrow.function
    arguments: (argument_list
      .
      (identifier) @narrow.name
      .
      [(identifier) (attribute)] @narrow.type
      .))
  consequence: (block) @narrow.block
  (#eq? @narrow.function "isinstance"))

; `for x in items`: `x` is an element of whatever `items` is.
(for_statement
  left: (identifier) @loop.name
  right: (_) @loop.items) @loop

; Code that runs without call syntax, for calls of their own kind: an attribute that
; may be a property, a subscript, an iteration, a `with` item, a builtin that calls a
; special method, a decorator. Most matches say nothing (a plain attribute);
; `extract.py` keeps those whose receiver's type the code states. @implicit.* names
; what each node is.

; `self.name` read or written (a property getter or setter); called ones are calls.
; Only on `self`: on other receivers of a stated type they were many and seldom a
; workspace property (Django: 1 in 20).
(attribute
  object: (identifier) @implicit.object
  attribute: (identifier) @implicit.name
  (#eq? @implicit.object "self")) @implicit.attribute

; `obj[key]`: __getitem__, __setitem__ (assigned) or __delitem__ (deleted).
(subscript
  value: [(identifier) (attribute)] @implicit.subscripted) @implicit.subscript

; `for x in obj`, comprehensions included: __iter__.
(for_statement
  right: (_) @implicit.iterated) @implicit.loop

(for_in_clause
  right: (_) @implicit.iterated)

; `with obj as x`: __enter__ and __exit__.
(with_item
  value: (_) @implicit.entered)

; `len(obj)`, `iter(obj)`, `list(obj)`...: the special method the builtin calls.
(call
  function: (identifier) @implicit.builtin
  arguments: (argument_list
    .
    [(identifier) (attribute)] @implicit.argument
    .))

; `a + b`: the left operand's special method (`__add__`).
(binary_operator
  left: [(identifier) (attribute) (call)] @implicit.operand) @implicit.binary

; `a < b`, `a == b`: the left operand's; `x in y`: the right operand's `__contains__`.
(comparison_operator) @implicit.comparison

; `@decorator` and `@pkg.decorator`, applied when the definition runs (a decorator
; with arguments is a call already).
(decorator
  [(identifier) (attribute)] @implicit.decorator)
