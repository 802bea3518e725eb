; Embedding: a struct's anonymous fields and an interface's embedded interfaces are
; its bases; their methods are promoted to it.

; type S struct { Base; *Other; pkg.T; *pkg.T }
(type_spec
  type: (struct_type
    (field_declaration_list
      (field_declaration
        !name
        type: [
          (type_identifier)
          (qualified_type)
          (generic_type)
        ] @base)))) @base.class

(type_spec
  type: (struct_type
    (field_declaration_list
      (field_declaration
        !name
        type: (pointer_type
          [
            (type_identifier)
            (qualified_type)
            (generic_type)
          ] @base))))) @base.class

; type I interface { io.Reader; Other }: a constraint union (`~int | ~string`) is
; not an embedding, so only a lone type counts.
(type_spec
  type: (interface_type
    (type_elem
      .
      [
        (type_identifier)
        (qualified_type)
        (generic_type)
      ] @base
      .))) @base.class
