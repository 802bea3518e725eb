; What the code states of a value's type, for typed resolution of `x.m()` calls.
; Not one of the combined concerns: `extract.py` runs it only on files with calls on
; a name or a `self` attribute. Parameters with annotations, and assignments to a
; name or an attribute (their annotation or value says the type).

(typed_parameter
  .
  (identifier) @name
  type: (type) @type) @param

(typed_default_parameter
  name: (identifier) @name
  type: (type) @type) @param

(assignment
  left: [(identifier) (attribute)] @left) @assign
