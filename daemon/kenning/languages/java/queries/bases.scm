; Supertypes: `extends` and `implements` of classes, enums and records, and the
; `extends` list of interfaces. Type arguments stay in the expression (`Base<T>`);
; the resolver reads through them.

(class_declaration
  superclass: (superclass (_) @base)) @base.class

(class_declaration
  interfaces: (super_interfaces (type_list (_) @base))) @base.class

(enum_declaration
  interfaces: (super_interfaces (type_list (_) @base))) @base.class

(record_declaration
  interfaces: (super_interfaces (type_list (_) @base))) @base.class

(interface_declaration
  (extends_interfaces (type_list (_) @base))) @base.class
