; One match per name a `use` binds: each leaf of a use tree is an @import.binding;
; extraction walks up from it to collect the path prefix of enclosing groups.

(use_declaration
  argument: [
    (identifier)
    (scoped_identifier)
    (use_as_clause)
    (use_wildcard)
    (crate)
    (self)
    (super)
  ] @import.binding)

(use_list
  [
    (identifier)
    (scoped_identifier)
    (use_as_clause)
    (use_wildcard)
    (self)
    (crate)
    (super)
  ] @import.binding)

; extern crate foo [as bar];
(extern_crate_declaration
  name: (identifier) @import.name) @import.binding
