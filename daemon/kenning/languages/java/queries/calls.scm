; Call sites. @call.name is the method's name token, which is also @call.callee (the
; span editors point at); @call.receiver the object or type it is called on.

; m(), obj.m(), Type.m(), this.m(), super.m(), a.b().c()
(method_invocation
  object: (_)? @call.receiver
  name: (identifier) @call.name @call.callee)

; new Foo(), new a.b.Foo<>(), new Outer.Inner(): the created type is the name;
; extraction writes the callee as `new Foo`.
(object_creation_expression
  type: (_) @call.name @call.callee)

; this(...) and super(...) as a constructor's first statement.
(explicit_constructor_invocation
  constructor: [(this) (super)] @call.name @call.callee)
