-- The kenning language server for Neovim 0.11+: one `vim.lsp.Config`.
--
-- With `clients/nvim` on the runtimepath, `vim.lsp.enable('kenning')` starts
-- `kenning serve` for Python buffers inside a workspace. Override any field with
-- `vim.lsp.config('kenning', { ... })`; the server's settings tree (docs/server.md,
-- "Settings") goes in `init_options`. On attach, the buffer gets the :Kenning*
-- commands (lua/kenning/commands.lua); the `kenning/status` notification and work-done
-- progress feed `require('kenning').status()`. See docs/nvim.md.

local protocol = require('kenning.protocol')

-- As the command line finds a workspace: the nearest folder with an index wins, else
-- the nearest folder with any project marker. Equal-priority groups need 0.11.3.
local root_markers = vim.fn.has('nvim-0.11.3') == 1
    and { protocol.index_dir, protocol.workspace_markers }
  or { protocol.index_dir, unpack(protocol.workspace_markers) }

---@type vim.lsp.Config
return {
  cmd = { 'kenning', 'serve' },
  filetypes = protocol.filetypes,
  root_markers = root_markers,
  -- A Python file outside any project starts nothing: kenning indexes folders, and
  -- the folder of a stray file may be $HOME.
  workspace_required = true,
  -- `init_options` is the settings tree, e.g.
  -- `{ debounceMs = 150, embedding = { enabled = false } }`. Unset here, so the server
  -- uses its defaults (an empty Lua table would reach it as `[]`, not `{}`).
  handlers = {
    [protocol.status_notification] = function(...)
      return require('kenning.status').on_status(...)
    end,
    ['$/progress'] = function(...)
      return require('kenning.status').on_progress(...)
    end,
  },
  -- A config that sets its own `on_attach` replaces this one: call
  -- `require('kenning').on_attach(client, bufnr)` from it to keep the commands.
  on_attach = function(client, bufnr)
    require('kenning').on_attach(client, bufnr)
  end,
}
