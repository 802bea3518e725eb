; Base lists: `extends` (one class, or several interfaces) and `implements`.

(class_declaration
  (class_heritage
    (extends_clause value: (_) @base))) @base.class

(class_declaration
  (class_heritage
    (implements_clause (_) @base))) @base.class

(abstract_class_declaration
  (class_heritage
    (extends_clause value: (_) @base))) @base.class

(abstract_class_declaration
  (class_heritage
    (implements_clause (_) @base))) @base.class

(class
  (class_heritage
    (extends_clause value: (_) @base))) @base.class

(interface_declaration
  (extends_type_clause type: (_) @base)) @base.class
