; Definitions: functions, methods (their receiver's type is the @owner), named types,
; interface methods and constants. Package-level variables and struct fields are not
; symbols: kenning has no kind for them.

; A function body's statements are its @body, so a long function is split between
; statements; an empty body has none and the whole declaration stands in.
(function_declaration
  name: (identifier) @name
  type_parameters: (type_parameter_list)? @type_parameters
  parameters: (parameter_list) @parameters
  result: (_)? @return_type
  body: (block (statement_list)? @body)?) @definition.function

; func (s *Server) Start() ... : the receiver's base type owns the method, generic
; receivers (`func (l *List[T]) Push`) included.
(method_declaration
  receiver: (parameter_list
    (parameter_declaration
      type: [
        (type_identifier) @owner
        (pointer_type (type_identifier) @owner)
        (generic_type type: (type_identifier) @owner)
        (pointer_type (generic_type type: (type_identifier) @owner))
      ]))
  name: (field_identifier) @name
  parameters: (parameter_list) @parameters
  result: (_)? @return_type
  body: (block (statement_list)? @body)?) @definition.method

(type_spec
  name: (type_identifier) @name
  type_parameters: (type_parameter_list)? @type_parameters
  type: (struct_type)) @definition.struct

(type_spec
  name: (type_identifier) @name
  type_parameters: (type_parameter_list)? @type_parameters
  type: (interface_type)) @definition.interface

; Any other named type (`type ID int`, `type HandlerFunc func(...)`) and aliases
; (`type ID = string`).
(type_spec
  name: (type_identifier) @name
  type_parameters: (type_parameter_list)? @type_parameters
  type: [
    (type_identifier)
    (qualified_type)
    (generic_type)
    (pointer_type)
    (slice_type)
    (array_type)
    (map_type)
    (channel_type)
    (function_type)
    (parenthesized_type)
    (negated_type)
  ]) @definition.type

(type_alias
  name: (type_identifier) @name) @definition.type

; A named interface's methods belong to it: a call through an interface-typed value
; lands on the method it declares. Anonymous interfaces (`x.(interface{ m() })`)
; declare nothing a name can reach.
(type_spec
  type: (interface_type
    (method_elem
      name: (field_identifier) @name
      parameters: (parameter_list) @parameters
      result: (_)? @return_type) @definition.method))

; const X = 1, and each name of a `const ( ... )` group. A spec naming several
; constants (`const A, B = 1, 2`) is one symbol, named after its first.
(const_spec
  name: (identifier) @name) @definition.constant
