; One match per import spec: `import "fmt"`, `import f "fmt"`, `import . "fmt"`,
; `import _ "embed"`. @import.alias is the name, dot or blank identifier when given.

(import_spec
  name: [
    (package_identifier)
    (dot)
    (blank_identifier)
  ]? @import.alias
  path: (_) @import.path) @import.binding
