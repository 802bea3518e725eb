; Definitions: types (classes, records, interfaces, annotation types, enums), their
; methods and constructors, and enum constants. Role captures: @definition.<kind>.
; A constructor is a method named like its class (`A.A`), as Javadoc lists it; a
; record's compact constructor too. Annotations are the definition's decorators.

(class_declaration
  name: (identifier) @name
  body: (class_body) @body) @definition.class

; A record is a class whose header lists its components (shown as its signature).
(record_declaration
  name: (identifier) @name
  parameters: (formal_parameters) @parameters
  body: (class_body) @body) @definition.class

(interface_declaration
  name: (identifier) @name
  body: (interface_body) @body) @definition.interface

; `@interface Ann { ... }` declares an interface (JLS 9.6).
(annotation_type_declaration
  name: (identifier) @name
  body: (annotation_type_body) @body) @definition.interface

(enum_declaration
  name: (identifier) @name
  body: (enum_body) @body) @definition.enum

(enum_constant
  name: (identifier) @name) @definition.constant

; Abstract and interface methods have no body: the declaration is its own body.
(method_declaration
  name: (identifier) @name
  parameters: (formal_parameters) @parameters
  body: (block)? @body) @definition.method

(constructor_declaration
  name: (identifier) @name
  parameters: (formal_parameters) @parameters
  body: (constructor_body) @body) @definition.method

(compact_constructor_declaration
  name: (identifier) @name
  body: (block) @body) @definition.method

; An annotation type's elements (`String value() default "";`) are its methods.
(annotation_type_element_declaration
  name: (identifier) @name) @definition.method

; Annotations sit in the declaration's own `modifiers`, so the declaration is both the
; wrapper and the decorated definition. Each annotation is its own match (a repetition
; would stop at a keyword: `@A public @B void m()`); extraction gathers them.
[
  (class_declaration (modifiers [(annotation) (marker_annotation)] @decorator))
  (record_declaration (modifiers [(annotation) (marker_annotation)] @decorator))
  (interface_declaration (modifiers [(annotation) (marker_annotation)] @decorator))
  (annotation_type_declaration (modifiers [(annotation) (marker_annotation)] @decorator))
  (enum_declaration (modifiers [(annotation) (marker_annotation)] @decorator))
  (method_declaration (modifiers [(annotation) (marker_annotation)] @decorator))
  (constructor_declaration (modifiers [(annotation) (marker_annotation)] @decorator))
  (compact_constructor_declaration (modifiers [(annotation) (marker_annotation)] @decorator))
  (annotation_type_element_declaration (modifiers [(annotation) (marker_annotation)] @decorator))
] @definition.decorated @decorated
