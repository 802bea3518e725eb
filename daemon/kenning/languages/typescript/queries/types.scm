; Declared types of names, for calls on them (`x.m()` where `x: Foo`). Not one of the
; combined concerns: the TypeScript extraction runs it itself, only on files with
; calls on a receiver. @var is a parameter or local, @field a class field (or a
; constructor parameter property), @type the type or the class `new` makes.

(required_parameter
  pattern: (identifier) @var
  type: (type_annotation (_) @type)) @declaration

(optional_parameter
  pattern: (identifier) @var
  type: (type_annotation (_) @type)) @declaration

(required_parameter
  (accessibility_modifier)
  pattern: (identifier) @field
  type: (type_annotation (_) @type)) @declaration

(variable_declarator
  name: (identifier) @var
  type: (type_annotation (_) @type)) @declaration

(variable_declarator
  name: (identifier) @var
  value: (new_expression constructor: (_) @type)) @declaration

(public_field_definition
  name: (property_identifier) @field
  type: (type_annotation (_) @type)) @declaration

(public_field_definition
  name: (property_identifier) @field
  value: (new_expression constructor: (_) @type)) @declaration

; this.x = new Foo()  (fields set in a constructor)
(assignment_expression
  left: (member_expression
    object: (this)
    property: (property_identifier) @field)
  right: (new_expression constructor: (_) @type)) @declaration

; const x = make(): the call that made the value, for the resolver to read the type
; that `make`'s declaration states it returns. @made is the called name; the
; receiver type is written `make()`.
(variable_declarator
  name: (identifier) @var
  value: (call_expression function: (identifier) @made) @type) @declaration
