; Declared types of names, for calls on them. JavaScript states no types, but
; `new Foo()` does: `const x = new Foo(); x.m()`. See the TypeScript file.

(variable_declarator
  name: (identifier) @var
  value: (new_expression constructor: (_) @type)) @declaration

(field_definition
  property: (property_identifier) @field
  value: (new_expression constructor: (_) @type)) @declaration

(assignment_expression
  left: (member_expression
    object: (this)
    property: (property_identifier) @field)
  right: (new_expression constructor: (_) @type)) @declaration
