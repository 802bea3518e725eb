; Declarations whose names a call's receiver can be: kenning's own query, run by the
; Go extraction (not one of the generic concerns) to learn the types the code
; states for parameters, variables and struct fields. Types are read in Python from
; the captured nodes' fields.

(parameter_declaration) @local.parameter
(variadic_parameter_declaration) @local.parameter
(var_spec) @local.var
(short_var_declaration) @local.short
(range_clause) @local.range
(type_switch_statement) @local.switch

; Same-file functions' results and structs' fields, for `x := NewT()` and `s.db.Q()`.
(function_declaration
  name: (identifier) @function.name
  result: (_) @function.result)

(type_spec
  name: (type_identifier) @struct.name
  type: (struct_type (field_declaration_list) @struct.fields))

(type_spec
  name: (type_identifier) @type.name)
