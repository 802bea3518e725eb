-- `:checkhealth kenning`: can Neovim start the server, which kenning is it, and what
-- state is each running client's index in.

local M = {}

local health = vim.health
local client_util = require('kenning.client')
local protocol = require('kenning.protocol')

-- How long to wait for `kenning --version` and for a client's `kenning/status`.
local TIMEOUT_MS = 10000

--- The command that prints the server's version: the configured one with `serve` (and
--- whatever follows it) replaced by `--version`. Nil when `serve` is not in it.
---@param cmd string[]
---@return string[]?
local function version_command(cmd)
  for i, arg in ipairs(cmd) do
    if arg == 'serve' then
      local out = vim.list_slice(cmd, 1, i - 1)
      out[#out + 1] = '--version'
      return out
    end
  end
end

local function check_neovim()
  health.start('kenning: Neovim')
  local version = tostring(vim.version())
  if vim.fn.has('nvim-0.11') == 1 then
    health.ok('Neovim ' .. version)
  else
    health.error(('Neovim %s: kenning needs 0.11 or later (vim.lsp.config)'):format(version))
  end
end

--- Reports the server command and its version; returns the resolved config.
---@return vim.lsp.Config?
local function check_server()
  health.start('kenning: server command')
  local loaded, config = pcall(function()
    return vim.lsp.config[client_util.name]
  end)
  if not loaded then
    health.error('the kenning config failed to load: ' .. tostring(config))
    return nil
  end
  if not config then
    health.error('no kenning config', {
      "put clients/nvim on the runtimepath: vim.opt.rtp:append('/path/to/kenning/clients/nvim')",
    })
    return nil
  end
  if vim.lsp.is_enabled(client_util.name) then
    health.ok("enabled: vim.lsp.enable('kenning')")
  else
    health.warn(
      'not enabled: no server starts for Python buffers',
      { "call vim.lsp.enable('kenning')" }
    )
  end

  local cmd = config.cmd
  if type(cmd) ~= 'table' then
    health.info('cmd is a function (a TCP connection, say): not checked')
    return config
  end
  local shown = table.concat(cmd, ' ')
  local executable = vim.fn.exepath(cmd[1])
  if executable == '' then
    health.error(('`%s` is not executable: %s is not on $PATH'):format(shown, cmd[1]), {
      "install kenning (pip install kenning) into an environment on $PATH, or point the config at it: vim.lsp.config('kenning', { cmd = { '/path/to/venv/bin/kenning', 'serve' } })",
    })
    return config
  end
  health.ok(('`%s` (%s)'):format(shown, executable))

  local asked = version_command(cmd)
  if not asked then
    health.warn(('cannot ask `%s` for its version: no `serve` in it'):format(shown))
    return config
  end
  local ran, result = pcall(function()
    return vim.system(asked, { text = true }):wait(TIMEOUT_MS)
  end)
  local asked_shown = table.concat(asked, ' ')
  if not ran then
    health.error(('`%s` did not run: %s'):format(asked_shown, tostring(result)))
  elseif result.code ~= 0 then
    local why = vim.trim(result.stderr or '')
    health.error(('`%s` failed (exit status %d): %s'):format(asked_shown, result.code, why))
  else
    health.ok('version: ' .. vim.trim(result.stdout))
  end
  health.info('settings (init_options): ' .. vim.inspect(config.init_options or vim.empty_dict()))
  return config
end

--- Reports what `kenning/status` says, one line per workspace folder at its health.
---@param client vim.lsp.Client
local function check_client(client)
  local label = ('client %d (%s)'):format(client.id, client.root_dir or 'no root')
  local response, err = client:request_sync(protocol.methods.status, vim.empty_dict(), TIMEOUT_MS)
  if not response then
    health.error(('%s: no answer to kenning/status: %s'):format(label, tostring(err)))
    return
  end
  if response.err then
    health.error(
      ('%s: kenning/status failed: %s'):format(label, client_util.describe_error(response.err))
    )
    return
  end
  -- Each line at the health the server gives it.
  local report = { ok = health.ok, warning = health.warn, error = health.error }
  local status = response.result
  local described = require('kenning.status').describe(status)
  local say = report[status.health] or health.info
  say(('%s: %s'):format(label, described.summary))
  for _, folder in ipairs(described.folders) do
    say = report[folder.health] or health.info
    say(folder.text)
  end
end

local function check_index()
  health.start('kenning: index')
  local clients = vim.lsp.get_clients({ name = client_util.name })
  if #clients == 0 then
    local markers = { protocol.index_dir, unpack(protocol.workspace_markers) }
    health.info(
      ('no kenning client is attached: open a %s file in a workspace (a folder with one of %s)'):format(
        table.concat(protocol.filetypes, '/'),
        table.concat(markers, ', ')
      )
    )
    return
  end
  for _, client in ipairs(clients) do
    check_client(client)
  end
end

function M.check()
  check_neovim()
  check_server()
  check_index()
end

return M
