-- kenning for Neovim: what a user's config calls.
--
-- The server itself is configured by lsp/kenning.lua (`vim.lsp.enable('kenning')`).
-- This module offers the statusline component and the `on_attach` that makes the
-- buffer-local :Kenning* commands, for configs that set an `on_attach` of their own.

local M = {}

--- The statusline component: `kenning: idle`, `kenning: indexing 40%`,
--- `kenning: 1,234/5,678 embedded`, …; empty when no kenning client is attached to the
--- buffer. Use it in a `%{}` item, which is evaluated for each window's own buffer:
--- `vim.o.statusline = "%f %=%{v:lua.require'kenning'.status()}"`.
---@param bufnr? integer the buffer (default: the current one)
---@return string
function M.status(bufnr)
  return require('kenning.status').render(bufnr)
end

--- Makes the :Kenning* commands in `bufnr`. lsp/kenning.lua calls it; call it from your
--- own `on_attach` if you override the config's.
--- (The client goes unused: the commands look it up when they run.)
---@param _ vim.lsp.Client
---@param bufnr integer
function M.on_attach(_, bufnr)
  require('kenning.commands').attach(bufnr)
end

return M
