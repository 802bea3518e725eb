; One match per bound name. @import.binding is the span, @import.source the module
; specifier, @import.name the imported name, @import.alias the local name;
; @import.default, @import.namespace and @import.wildcard mark those forms,
; @import.reexport an `export ... from`, @import.export a local `export { a as b }`
; or `export default a`, @import.require a CommonJS require.

; import D from "x"
(import_statement
  (import_clause (identifier) @import.alias @import.default @import.binding)
  source: (string (string_fragment) @import.source))

; import { a, b as c, type T } from "x"
(import_statement
  (import_clause
    (named_imports
      (import_specifier
        name: (_) @import.name
        alias: (_)? @import.alias) @import.binding))
  source: (string (string_fragment) @import.source))

; import * as ns from "x"
(import_statement
  (import_clause
    (namespace_import (identifier) @import.alias) @import.binding @import.namespace)
  source: (string (string_fragment) @import.source))

; export { a, b as c } from "x"
(export_statement
  (export_clause
    (export_specifier
      name: (_) @import.name
      alias: (_)? @import.alias) @import.binding)
  source: (string (string_fragment) @import.source)) @import.reexport

; export * from "x"
(export_statement
  "*" @import.wildcard @import.binding
  source: (string (string_fragment) @import.source)) @import.reexport

; export * as ns from "x"
(export_statement
  (namespace_export (_) @import.alias) @import.binding @import.namespace
  source: (string (string_fragment) @import.source)) @import.reexport

; export { a as b }  (a local name exported under another name)
(export_statement
  (export_clause
    (export_specifier
      name: (_) @import.name
      alias: (_) @import.alias) @import.binding)
  !source) @import.export

; export default a
(export_statement
  "default" @import.alias
  value: (identifier) @import.name @import.binding) @import.export

; export default class A {} / export default function f() {}
(export_statement
  "default" @import.alias
  declaration: [
    (class_declaration name: (_) @import.name)
    (function_declaration name: (_) @import.name)
    (generator_function_declaration name: (_) @import.name)
  ] @import.binding) @import.export

; module.exports = a
(assignment_expression
  left: (member_expression
    object: (identifier) @_module
    property: (property_identifier) @_exports)
  right: (identifier) @import.name @import.binding
  (#eq? @_module "module")
  (#eq? @_exports "exports")) @import.export @import.module_exports

; module.exports = { a: b }, exports.a = b  (b a local name)
(assignment_expression
  left: (member_expression
    object: (identifier) @_module
    property: (property_identifier) @_exports)
  right: (object
    (pair
      key: (property_identifier) @import.alias
      value: (identifier) @import.name) @import.binding)
  (#eq? @_module "module")
  (#eq? @_exports "exports")) @import.export

(assignment_expression
  left: (member_expression
    object: (identifier) @_exports
    property: (property_identifier) @import.alias)
  right: (identifier) @import.name @import.binding
  (#eq? @_exports "exports")) @import.export

; const x = require("x")
(variable_declarator
  name: (identifier) @import.alias @import.namespace
  value: (call_expression
    function: (identifier) @_require
    arguments: (arguments . (string (string_fragment) @import.source) .))
  (#eq? @_require "require")) @import.binding @import.require

; const { a, b: c } = require("x")
(variable_declarator
  name: (object_pattern
    [
      (shorthand_property_identifier_pattern) @import.name @import.binding
      (pair_pattern
        key: (property_identifier) @import.name
        value: (identifier) @import.alias) @import.binding
    ])
  value: (call_expression
    function: (identifier) @_require
    arguments: (arguments . (string (string_fragment) @import.source) .))
  (#eq? @_require "require")) @import.require
