-- One Neovim session using kenning's Neovim client (clients/nvim) the way a user does:
-- `vim.lsp.enable('kenning')`, a Python file opened, the :Kenning* commands typed.
--
-- Run as `nvim --headless --clean -l client.lua CONFIG`, CONFIG being JSON:
--   { "rtp": "/abs/clients/nvim", "root": "/abs/project", "cmd": [...],
--     "init_options": {...}, "steps": ["search", ...] }
-- Every finding is one JSON line on stdout ({"step": NAME, ...}) holding what the user
-- would see: quickfix entries, notifications, the statusline, the health report.
-- tests/clients/test_nvim_client.py reads them and asserts. A step that raises prints
-- {"step": NAME, "error": TRACEBACK} and the others still run; the exit status is
-- non-zero when any step failed.

-- JSON nulls become nils, as in the messages Neovim's LSP client decodes.
local config = vim.json.decode(
  assert(arg[1], 'usage: client.lua CONFIG_JSON'),
  { luanil = { object = true } }
)
local root = config.root
local TIMEOUT = 20000 -- ms for one command's answer

local h = dofile(vim.fs.joinpath(vim.fs.dirname(arg[0]), 'harness.lua')).new(root)
local now_ms, emit, path = h.now_ms, h.emit, h.path

local function wait_for(what, timeout, done)
  h.wait_for(what, timeout, done, 20)
end

-- Everything shown with vim.notify (by kenning, by Neovim's LSP client, by the
-- server's window/showMessage errors), in order.
local notifications = {} ---@type {message: string, level: string}[]
local level_names = {}
for name, value in pairs(vim.log.levels) do
  level_names[value] = name
end
vim.notify = function(message, level)
  notifications[#notifications + 1] = {
    message = message,
    level = level_names[level or vim.log.levels.INFO] or tostring(level),
  }
end

--- The notifications after the first `from` ones, once one with `level` has come.
local function notified_after(from, what, level)
  wait_for(what, TIMEOUT, function()
    for i = from + 1, #notifications do
      if not level or notifications[i].level == level then
        return true
      end
    end
    return false
  end)
  return vim.list_slice(notifications, from + 1)
end

-- The statusline as users put the component in it; `statusline()` is its text in the
-- window of the Python buffer, as drawn.
vim.o.laststatus = 2
vim.o.statusline = "%{v:lua.require'kenning'.status()}"
local code_win ---@type integer

local function statusline(win)
  return vim.api.nvim_eval_statusline(vim.o.statusline, { winid = win or code_win }).str
end

-- Every distinct text the statusline showed, sampled when kenning says it changed.
local seen = {} ---@type string[]
vim.api.nvim_create_autocmd('User', {
  pattern = 'KenningStatus',
  callback = function()
    local text = statusline()
    if seen[#seen] ~= text then
      seen[#seen + 1] = text
    end
  end,
})

--- The quickfix list as the user sees it: title, and entries with file, line, column,
--- text.
local function quickfix()
  local list = vim.fn.getqflist({ title = 1, items = 1 })
  local items = {}
  for _, entry in ipairs(list.items) do
    items[#items + 1] = {
      filename = vim.fs.relpath(root, vim.api.nvim_buf_get_name(entry.bufnr)),
      lnum = entry.lnum,
      col = entry.col,
      text = entry.text,
    }
  end
  return { title = list.title, items = items }
end

--- Runs an Ex command that fills the quickfix list (asynchronously: the answer comes
--- from the server) and returns the new list, with the quickfix window closed again.
local function via_quickfix(command)
  vim.fn.setqflist({}, ' ', { title = 'before ' .. command, items = {} })
  local before = vim.fn.getqflist({ id = 0 }).id
  vim.cmd(command)
  wait_for(command .. ' in the quickfix list', TIMEOUT, function()
    return vim.fn.getqflist({ id = 0 }).id ~= before
  end)
  local list = quickfix()
  vim.cmd.cclose()
  vim.api.nvim_set_current_win(code_win)
  return list
end

--- Opens `rel` in the code window, the cursor at (line, col) (1-based line, 0-based
--- column, as nvim_win_set_cursor).
local function open_at(rel, line, col)
  vim.api.nvim_set_current_win(code_win)
  vim.cmd.edit(vim.fn.fnameescape(path(rel)))
  wait_for('kenning to attach to ' .. rel, TIMEOUT, function()
    return #vim.lsp.get_clients({ bufnr = 0, name = 'kenning' }) > 0
  end)
  vim.api.nvim_win_set_cursor(0, { line, col })
end

--- Runs an Ex command whose answer is a notification; returns the notifications from
--- then until one at `level` (any level when nil) has come.
local function via_notify(command, level)
  local from = #notifications
  vim.cmd(command)
  return notified_after(from, command .. ' to notify', level)
end

local steps = {}

function steps.commands_exist()
  open_at('pkg/core.py', 1, 0)
  local in_python = vim.tbl_keys(vim.api.nvim_buf_get_commands(0, {}))
  table.sort(in_python)
  -- A buffer kenning is not attached to has none of them, and an empty statusline.
  vim.cmd.enew()
  local scratch = vim.api.nvim_get_current_buf()
  local elsewhere = vim.tbl_keys(vim.api.nvim_buf_get_commands(scratch, {}))
  local scratch_statusline = statusline(vim.api.nvim_get_current_win())
  vim.cmd.buffer('#')
  emit({
    step = 'commands_exist',
    python = in_python,
    scratch = elsewhere,
    scratch_statusline = scratch_statusline,
  })
end

function steps.search()
  open_at('pkg/app.py', 1, 0)
  local list = via_quickfix('KenningSearch look the name up in the registry')
  emit({ step = 'search', quickfix = list })
end

function steps.search_pick()
  -- The picker the user would see, answered with the hit of Registry.register.
  local shown
  vim.ui.select = function(items, opts, on_choice)
    shown = { prompt = opts.prompt, items = vim.tbl_map(opts.format_item, items) }
    for i, item in ipairs(items) do
      if item.text:find('^pkg%.core%.Registry%.register ') then
        return on_choice(item, i)
      end
    end
    on_choice(nil, nil)
  end
  open_at('pkg/app.py', 1, 0)
  local list = via_quickfix('KenningSearch! Registry')
  wait_for('the picked hit to open', TIMEOUT, function()
    return vim.api.nvim_buf_get_name(0) == path('pkg/core.py')
  end)
  local cursor = vim.api.nvim_win_get_cursor(0)
  emit({
    step = 'search_pick',
    quickfix = list,
    picker = shown,
    landed = { file = vim.fs.relpath(root, vim.api.nvim_buf_get_name(0)), lnum = cursor[1] },
  })
end

function steps.callers()
  -- `def resolve_target(name):`, the cursor on the name.
  open_at('pkg/core.py', 4, 6)
  emit({ step = 'callers', quickfix = via_quickfix('KenningCallers') })
end

function steps.callees()
  -- `def main():` in app.py.
  open_at('pkg/app.py', 4, 5)
  emit({ step = 'callees', quickfix = via_quickfix('KenningCallees') })
end

function steps.impact()
  open_at('pkg/core.py', 4, 6)
  emit({ step = 'impact', quickfix = via_quickfix('KenningImpact') })
end

function steps.status_command()
  open_at('pkg/core.py', 1, 0)
  emit({ step = 'status_command', notifications = via_notify('KenningStatus') })
end

function steps.reindex()
  open_at('pkg/app.py', 1, 0)
  -- Each answer is the second notification: "reindexing …", then the server's word.
  local function reindex(command)
    local from = #notifications
    vim.cmd(command)
    wait_for(command .. ' to finish', TIMEOUT, function()
      return #notifications >= from + 2
    end)
    return vim.list_slice(notifications, from + 1)
  end
  local file = reindex('KenningReindex %')
  local all = reindex('KenningReindex')
  -- The statusline may show the indexing a while; then it is idle again.
  local idle = vim.wait(TIMEOUT, function()
    return statusline() == 'kenning: idle'
  end, 20)
  emit({ step = 'reindex', file = file, all = all, statusline = statusline(), idle = idle })
end

function steps.pause_embedding()
  open_at('pkg/app.py', 1, 0)
  emit({ step = 'pause_embedding', notifications = via_notify('KenningPauseEmbedding') })
end

function steps.errors()
  -- The module docstring: no symbol under the cursor.
  open_at('pkg/core.py', 1, 0)
  local no_symbol = via_notify('KenningCallers', 'ERROR')
  -- A file outside the workspace.
  local outside = via_notify('KenningReindex ' .. vim.fs.dirname(root) .. '/elsewhere.py', 'ERROR')
  -- A depth the server refuses.
  open_at('pkg/core.py', 4, 6)
  local too_deep = via_notify('KenningImpact 99', 'ERROR')
  emit({ step = 'errors', no_symbol = no_symbol, outside = outside, too_deep = too_deep })
end

--- The `:checkhealth kenning` report, as its buffer shows it.
local function health_report()
  local tabs = #vim.api.nvim_list_tabpages()
  vim.cmd('checkhealth kenning')
  local lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  -- Its own tab, unless the current one held only an empty buffer.
  if #vim.api.nvim_list_tabpages() > tabs then
    vim.cmd.tabclose()
  else
    vim.cmd.bwipeout()
  end
  return lines
end

function steps.health()
  emit({ step = 'health', lines = health_report() })
end

function steps.embedded()
  -- Everything embedded: the statusline went through embedding (its counts, or only
  -- "embedding" when the pool finished between two status reports) to idle.
  wait_for('the statusline to go from embedding to idle', 90000, function()
    local embedding = vim.iter(seen):any(function(text)
      return text:find(' embedded$') ~= nil or text == 'kenning: embedding'
    end)
    return embedding and statusline() == 'kenning: idle'
  end)
  emit({ step = 'embedded', statusline = statusline(), seen = seen })
end

function steps.pause_resume()
  open_at('pkg/core.py', 1, 0)
  local paused = via_notify('KenningPauseEmbedding')
  wait_for('the statusline to say embedding is paused', TIMEOUT, function()
    return statusline() == 'kenning: idle, embedding paused'
  end)
  local while_paused = statusline()
  local resumed = via_notify('KenningResumeEmbedding')
  wait_for('the statusline to say idle again', TIMEOUT, function()
    return statusline() == 'kenning: idle'
  end)
  emit({
    step = 'pause_resume',
    paused = paused,
    while_paused = while_paused,
    resumed = resumed,
    after = statusline(),
  })
end

function steps.statusline_texts()
  -- The component's text for each case's state (a StatusResult, the work-done progress
  -- under way), as the test gives them.
  local format = require('kenning.status').format
  local texts = {}
  for _, case in ipairs(config.statusline_cases) do
    texts[#texts + 1] =
      format({ status = case.status, work = case.work or {}, indexed = case.indexed })
  end
  emit({ step = 'statusline_texts', texts = texts })
end

function steps.not_installed()
  -- No Python file open yet: nothing attached, the report says so.
  local lines = health_report()
  local before = statusline(vim.api.nvim_get_current_win())
  -- Then one is opened: Neovim tries to start the missing server.
  local from = #notifications
  vim.cmd.edit(vim.fn.fnameescape(path('pkg/core.py')))
  vim.wait(500, function()
    return #notifications > from
  end, 20)
  local config = vim.lsp.config.kenning
  emit({
    step = 'not_installed',
    health = lines,
    statusline = before,
    on_open = vim.list_slice(notifications, from + 1),
    commands = vim.tbl_keys(vim.api.nvim_buf_get_commands(0, {})),
    protocol = require('kenning.protocol'),
    config = { filetypes = config.filetypes, root_markers = config.root_markers, cmd = config.cmd },
  })
end

local function main()
  vim.opt.rtp:prepend(config.rtp)
  local overrides = { cmd = config.cmd }
  if config.init_options then
    overrides.init_options = config.init_options
  end
  vim.lsp.config('kenning', overrides)
  vim.lsp.enable('kenning')
  code_win = vim.api.nvim_get_current_win()

  if config.wait_ready ~= false then
    open_at('pkg/core.py', 1, 0)
    -- The first index: what the user sees is the statusline saying idle.
    wait_for('the statusline to say idle', 90000, function()
      return statusline() == 'kenning: idle' or statusline():find(' embedded$') ~= nil
    end)
    emit({ step = 'ready', statusline = statusline(), seen = vim.deepcopy(seen) })
  end

  local passed = h.run_steps(steps, config.steps)
  -- What went to the message history instead (Neovim shows the server's warnings,
  -- window/showMessage, with nvim_echo).
  local messages = vim.tbl_filter(function(line)
    return line ~= ''
  end, vim.split(vim.fn.execute('messages'), '\n'))
  emit({ step = 'notifications', notifications = notifications, messages = messages })

  local clients = vim.lsp.get_clients({ name = 'kenning' })
  for _, client in ipairs(clients) do
    client:stop()
  end
  local stopped = vim.wait(10000, function()
    for _, client in ipairs(clients) do
      if not client:is_stopped() then
        return false
      end
    end
    return true
  end, 50)
  emit({ step = 'stopped', clean = stopped })
  return passed
end

h.finish(main)
