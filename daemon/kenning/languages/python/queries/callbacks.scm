; Functions called through a parameter: each function's parameters, and calls of a
; plain name with their arguments. Run only for files that call a parameter, so
; that `extract.py` can tell which functions the file passes for it.

(function_definition
  parameters: (parameters) @callback.parameters
  body: (block) @callback.body)

(call
  function: (identifier) @callback.function
  arguments: (argument_list) @callback.arguments)
