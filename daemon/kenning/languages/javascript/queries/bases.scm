; Base lists: a class's `extends` expression.

(class_declaration
  (class_heritage (_) @base)) @base.class

(class
  (class_heritage (_) @base)) @base.class
