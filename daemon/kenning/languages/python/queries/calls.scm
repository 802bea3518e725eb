; Call sites. One pattern for every call: `extract.py` (`odd_callee`) reads the name
; and receiver off the callee node, `foo` of `foo()`, `attr` and `obj` of
; `obj.attr()`, and names the rest (make()(), handlers[k](), (lambda: 0)()) from the
; expression, or drops a callee of another node type (only error recovery makes one).
; Patterns per callee form, as this file had before, cost a third of the whole
; combined query: an alternation of 23 node types starts 23 states at every call.

(call
  function: (_) @call.callee @call.odd)
