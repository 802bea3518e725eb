-- Talking to the kenning client of a buffer: finding it, sending a custom request or a
-- command only when the server supports it, and showing every failure to the user
-- (`vim.notify` at ERROR level, with the server's own message) instead of dropping it.
-- Also the conversion of kenning's locations into quickfix items.

local M = {}

--- The name of the client (the config's name, `vim.lsp.enable('kenning')`).
M.name = 'kenning'

local levels = vim.log.levels

-- JSON-RPC error codes kenning answers with (docs/protocol.md), by name.
local error_names = {
  [-32602] = 'InvalidParams',
  [-32601] = 'MethodNotFound',
  [-32603] = 'InternalError',
  [-32803] = 'RequestFailed',
  [-32800] = 'RequestCancelled',
}

--- Shows `message` as coming from kenning.
---@param message string
---@param level? integer a `vim.log.levels` value, INFO by default
function M.notify(message, level)
  vim.notify('kenning: ' .. message, level or levels.INFO, { title = 'kenning' })
end

--- The kenning client attached to `bufnr`, or nil after telling the user there is none.
---@param bufnr integer
---@return vim.lsp.Client?
function M.get(bufnr)
  local client = vim.lsp.get_clients({ bufnr = bufnr, name = M.name })[1]
  if not client then
    M.notify('no kenning server is attached to this buffer', levels.ERROR)
  end
  return client
end

--- One line for a JSON-RPC error: its message, then its code's name.
---@param err lsp.ResponseError
---@return string
function M.describe_error(err)
  local name = error_names[err.code] or tostring(err.code)
  return ('%s (%s)'):format(err.message or 'no message', name)
end

--- Sends `method` with `params` when the server supports it and calls `on_result` with
--- the result; a JSON-RPC error is shown to the user, labelled with `what` (the command
--- the user typed).
---@param client vim.lsp.Client
---@param what string e.g. ':KenningSearch'
---@param method string
---@param params table
---@param bufnr integer
---@param on_result fun(result: any)
function M.request(client, what, method, params, bufnr, on_result)
  if not client:supports_method(method, bufnr) then
    M.notify(('%s: the server does not support %s'):format(what, method), levels.ERROR)
    return
  end
  local sent = client:request(method, params, function(err, result)
    if err then
      M.notify(('%s failed: %s'):format(what, M.describe_error(err)), levels.ERROR)
      return
    end
    on_result(result)
  end, bufnr)
  if not sent then
    M.notify(('%s: the server is not running'):format(what), levels.ERROR)
  end
end

--- Runs one of kenning's `workspace/executeCommand` commands when the server offers it;
--- errors are shown as in `request`.
---@param client vim.lsp.Client
---@param what string
---@param command string
---@param arguments any[]
---@param bufnr integer
---@param on_result fun(result: {message: string, targets: string[]})
function M.execute(client, what, command, arguments, bufnr, on_result)
  local provider = client.server_capabilities.executeCommandProvider
  local offered = type(provider) == 'table' and provider.commands or {}
  if not vim.list_contains(offered, command) then
    M.notify(('%s: the server does not offer the command %s'):format(what, command), levels.ERROR)
    return
  end
  local params = { command = command, arguments = arguments }
  M.request(client, what, 'workspace/executeCommand', params, bufnr, on_result)
end

--- Quickfix items for kenning locations, each `{ uri, range, text }` (UTF-16 ranges as
--- the server sends them), in the order given. Columns become byte columns of the
--- lines as they are now, which is what `locations_to_items` does for Neovim's own lists.
---@param locations {uri: string, range: lsp.Range, text: string}[]
---@param encoding string the client's offset encoding
---@return vim.quickfix.entry[]
function M.quickfix_items(locations, encoding)
  local items = {}
  for _, location in ipairs(locations) do
    local item = vim.lsp.util.locations_to_items({ location }, encoding)[1]
    item.text = location.text
    item.user_data = nil
    items[#items + 1] = item
  end
  return items
end

--- Makes `items` the quickfix list: a new list, as Neovim's own LSP lists are, so
--- `:colder` brings back the one before.
---@param title string
---@param items vim.quickfix.entry[]
function M.set_quickfix(title, items)
  vim.fn.setqflist({}, ' ', { title = title, items = items })
end

--- `set_quickfix`, then opens the quickfix window.
---@param title string
---@param items vim.quickfix.entry[]
function M.show_quickfix(title, items)
  M.set_quickfix(title, items)
  vim.cmd('botright copen')
end

return M
