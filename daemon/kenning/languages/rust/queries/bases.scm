; Supertraits: `trait A: B + c::D` gives B and c::D (lifetimes are not traits).

(trait_item
  bounds: (trait_bounds
    [
      (type_identifier)
      (scoped_type_identifier)
      (generic_type)
    ] @base)) @base.class

; `impl Trait for Type`: the type implements the trait. The impl is no symbol, so the
; type is named by @base.owner and found among the definitions of the same scope.
(impl_item
  trait: (_) @base
  type: [
    (type_identifier) @base.owner
    (generic_type type: (type_identifier) @base.owner)
    (scoped_type_identifier name: (type_identifier) @base.owner)
  ]) @base.class
