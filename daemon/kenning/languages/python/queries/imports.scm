; One match per bound name. @import.binding is the node reported as the span,
; @import.module the imported module (`import x`), @import.from the module of a
; `from ... import`, @import.name the imported name, @import.alias an `as` name.

; import a.b        (binds `a`)
(import_statement
  name: (dotted_name) @import.module @import.binding)

; import a.b as c
(import_statement
  name: (aliased_import
    name: (dotted_name) @import.module
    alias: (identifier) @import.alias) @import.binding)

; from m import n
(import_from_statement
  module_name: (_) @import.from
  name: (dotted_name) @import.name @import.binding)

; from m import n as a
(import_from_statement
  module_name: (_) @import.from
  name: (aliased_import
    name: (dotted_name) @import.name
    alias: (identifier) @import.alias) @import.binding)

; from m import *
(import_from_statement
  module_name: (_) @import.from
  (wildcard_import) @import.wildcard @import.binding)

; from __future__ import annotations [as x]
(future_import_statement
  name: (dotted_name) @import.name @import.binding) @import.future

(future_import_statement
  name: (aliased_import
    name: (dotted_name) @import.name
    alias: (identifier) @import.alias) @import.binding) @import.future
