; Definitions: functions, classes, methods, interfaces, type aliases, enums and
; namespaces, with the parts a symbol needs. A function directly in a class or
; interface body becomes a method (see parse/extractor.py).

(function_declaration
  name: (identifier) @name
  parameters: (formal_parameters) @parameters
  return_type: (type_annotation)? @return_type
  body: (statement_block) @body) @definition.function

(generator_function_declaration
  name: (identifier) @name
  parameters: (formal_parameters) @parameters
  return_type: (type_annotation)? @return_type
  body: (statement_block) @body) @definition.function

; Overloads, `declare function` and the functions of `.d.ts` files.
(function_signature
  name: (identifier) @name
  parameters: (formal_parameters) @parameters
  return_type: (type_annotation)? @return_type) @definition.function

; const f = () => ...; const g = function () {}: one declarator only, so that the
; statement is the definition (its doc comment and export sit on the statement).
(lexical_declaration
  .
  (variable_declarator
    name: (identifier) @name
    value: [
      (arrow_function
        [parameters: (formal_parameters) @parameters parameter: (identifier) @parameters]
        return_type: (type_annotation)? @return_type
        body: (_) @body)
      (function_expression
        parameters: (formal_parameters) @parameters
        return_type: (type_annotation)? @return_type
        body: (statement_block) @body)
    ])
  .) @definition.function

(variable_declaration
  .
  (variable_declarator
    name: (identifier) @name
    value: [
      (arrow_function
        [parameters: (formal_parameters) @parameters parameter: (identifier) @parameters]
        return_type: (type_annotation)? @return_type
        body: (_) @body)
      (function_expression
        parameters: (formal_parameters) @parameters
        return_type: (type_annotation)? @return_type
        body: (statement_block) @body)
    ])
  .) @definition.function

; export default function () {} / export default () => {}: named `default`.
(export_statement
  "default" @name
  value: [
    (arrow_function
      [parameters: (formal_parameters) @parameters parameter: (identifier) @parameters]
      return_type: (type_annotation)? @return_type
      body: (_) @body)
    (function_expression
      parameters: (formal_parameters) @parameters
      return_type: (type_annotation)? @return_type
      body: (statement_block) @body)
  ] @definition.function)

; CommonJS: exports.f = function () {}, module.exports.f = () => {}.
(expression_statement
  (assignment_expression
    left: [
      (member_expression
        object: (identifier) @_exports
        property: (property_identifier) @name)
      (member_expression
        object: (member_expression
          object: (identifier) @_module
          property: (property_identifier) @_exports)
        property: (property_identifier) @name)
    ]
    right: [
      (arrow_function
        [parameters: (formal_parameters) @parameters parameter: (identifier) @parameters]
        body: (_) @body)
      (function_expression
        parameters: (formal_parameters) @parameters
        body: (statement_block) @body)
    ])
  (#eq? @_exports "exports")) @definition.function

; Foo.prototype.bar = function () {}: a method of Foo declared outside it.
(expression_statement
  (assignment_expression
    left: (member_expression
      object: (member_expression
        object: (identifier) @owner
        property: (property_identifier) @_prototype)
      property: (property_identifier) @name)
    right: [
      (arrow_function
        [parameters: (formal_parameters) @parameters parameter: (identifier) @parameters]
        body: (_) @body)
      (function_expression
        parameters: (formal_parameters) @parameters
        body: (statement_block) @body)
    ])
  (#eq? @_prototype "prototype")) @definition.function

(class_declaration
  name: (type_identifier) @name
  (class_heritage)? @superclasses
  body: (class_body) @body) @definition.class

(abstract_class_declaration
  name: (type_identifier) @name
  (class_heritage)? @superclasses
  body: (class_body) @body) @definition.class

(export_statement
  "default" @name
  value: (class
    (class_heritage)? @superclasses
    body: (class_body) @body) @definition.class)

(method_definition
  name: (_) @name
  parameters: (formal_parameters) @parameters
  return_type: (type_annotation)? @return_type
  body: (statement_block) @body) @definition.method

(method_signature
  name: (_) @name
  parameters: (formal_parameters) @parameters
  return_type: (type_annotation)? @return_type) @definition.method

(abstract_method_signature
  name: (_) @name
  parameters: (formal_parameters) @parameters
  return_type: (type_annotation)? @return_type) @definition.method

; A field holding an arrow function is a method to its callers: handle = () => {}.
(public_field_definition
  name: (_) @name
  value: (arrow_function
    [parameters: (formal_parameters) @parameters parameter: (identifier) @parameters]
    return_type: (type_annotation)? @return_type
    body: (_) @body)) @definition.method

(interface_declaration
  name: (type_identifier) @name
  (extends_type_clause)? @superclasses
  body: (interface_body) @body) @definition.interface

(type_alias_declaration
  name: (type_identifier) @name) @definition.type

(enum_declaration
  name: (identifier) @name
  body: (enum_body) @body) @definition.enum

(internal_module
  name: (_) @name
  body: (statement_block) @body) @definition.namespace

; declare module "foo" { ... }: module augmentations in declaration files.
(module
  name: (string (string_fragment) @name)
  body: (statement_block) @body) @definition.namespace

; Class decorators sit on the export statement or on the class itself.
(export_statement
  (decorator)+ @decorator
  declaration: (_) @decorated) @definition.decorated

(class_declaration
  (decorator)+ @decorator) @definition.decorated @decorated
