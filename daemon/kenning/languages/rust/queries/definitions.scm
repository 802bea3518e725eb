; Definitions: items with the parts a symbol needs. Methods declared in an `impl`
; name their type by @owner (its last path segment, without generic arguments) and
; their block by @owner.block; methods of a trait are members of the trait itself.

(function_item
  name: (identifier) @name
  parameters: (parameters) @parameters
  return_type: (_)? @return_type
  body: (block) @body) @definition.function

; A required trait method or a foreign function: a signature without a body.
(function_signature_item
  name: (identifier) @name
  parameters: (parameters) @parameters
  return_type: (_)? @return_type) @definition.function

; impl [Trait for] Type { fn m() {} }, with the type's name as owner. The patterns
; are exclusive by the type's node kind, so each method matches once.
(impl_item
  type: [
    (type_identifier) @owner
    (generic_type type: (type_identifier) @owner)
    (scoped_type_identifier name: (type_identifier) @owner)
    (generic_type type: (scoped_type_identifier name: (type_identifier) @owner))
    (primitive_type) @owner
    (reference_type type: (type_identifier) @owner)
    (reference_type type: (generic_type type: (type_identifier) @owner))
    (reference_type type: (primitive_type) @owner)
  ]
  body: (declaration_list
    (function_item
      name: (identifier) @name
      parameters: (parameters) @parameters
      return_type: (_)? @return_type
      body: (block) @body) @definition.function)) @owner.block

(struct_item
  name: (type_identifier) @name
  body: (_)? @body) @definition.struct

(union_item
  name: (type_identifier) @name
  body: (_) @body) @definition.struct

(enum_item
  name: (type_identifier) @name
  body: (enum_variant_list) @body) @definition.enum

(trait_item
  name: (type_identifier) @name
  bounds: (trait_bounds)? @superclasses
  body: (declaration_list) @body) @definition.trait

(type_item
  name: (type_identifier) @name) @definition.type

(const_item
  name: (identifier) @name) @definition.constant

(static_item
  name: (identifier) @name) @definition.constant

; An inline module; `mod name;` only points at a file, whose module symbol is the
; definition.
(mod_item
  name: (identifier) @name
  body: (declaration_list) @body) @definition.namespace
