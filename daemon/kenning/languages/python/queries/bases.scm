; Positional entries of a class's base list; keyword arguments (metaclass=M) and
; splats (*bases) are not expressions, so they do not match.

(class_definition
  superclasses: (argument_list (expression) @base)) @base.class
