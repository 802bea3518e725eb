; One match per import declaration; extraction reads its parts (`static`, the dotted
; name, a trailing `.*`) from the node, since Java binds exactly one name or one
; wildcard per declaration.

(import_declaration) @import.binding
