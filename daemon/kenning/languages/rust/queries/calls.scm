; Call sites. Macro invocations (`println!`) are not calls: their arguments are token
; trees the grammar does not parse, and a macro is no function kenning can point at.
;
; One pattern for every call: `extract.py` (`odd_callee`) reads the name and receiver
; off the callee node: `foo` of `foo()`, `f` and `a::b` of `a::b::f()` (also
; `Type::new()`, `<T as Trait>::m()`), `m` and `x` of `x.m()`, the same through a
; turbofish (`f::<T>()`), and names the rest ((self.f)(), f()(), handlers[k](),
; closures) from the expression, or drops a callee no pattern here used to take.
; Patterns per callee form, as this file had before, started 17 states at every call
; (an alternation of 11 node types among them): 13 % of the combined query's
; instructions on tokio.
(call_expression
  function: (_) @call.callee @call.odd)
