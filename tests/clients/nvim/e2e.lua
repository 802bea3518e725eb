-- One Neovim session against `kenning serve`, driven through Neovim's built-in LSP client.
--
-- Run as `nvim --headless --clean -l e2e.lua CONFIG`, CONFIG being JSON:
--   { "cmd": [...], "root": "/abs/project", "embedding": {"enabled": bool, ...},
--     "steps": ["search", ...], "open": "pkg/core.py" (the buffer open at the start) }
-- Every finding is one JSON line on stdout ({"step": NAME, ...}); tests/clients/test_nvim.py
-- reads them and asserts. A step that raises prints {"step": NAME, "error": TRACEBACK}
-- and the others still run; the exit status is non-zero when any step failed.

local config = vim.json.decode((assert(arg[1], 'usage: e2e.lua CONFIG_JSON')))
local root = config.root
local TIMEOUT = 20000 -- ms for one request
local client ---@type vim.lsp.Client

local h = dofile(vim.fs.joinpath(vim.fs.dirname(arg[0]), 'harness.lua')).new(root)
local now_ms, emit, path = h.now_ms, h.emit, h.path

local function uri(rel)
  return vim.uri_from_fname(path(rel))
end

-- What the server sent on its own: progress, status notifications, messages.
local progress = {} ---@type table[]
local statuses = {} ---@type table[]
local status_times = {} ---@type number[] ms since the start, one per status
local messages = {} ---@type table[]

vim.api.nvim_create_autocmd('LspProgress', {
  callback = function(ev)
    local params = ev.data.params
    local value = params.value
    progress[#progress + 1] = {
      token = params.token,
      kind = value.kind,
      title = value.title,
      message = value.message,
      percentage = value.percentage,
    }
  end,
})

--- A request through Neovim's client; fails the step on a JSON-RPC error.
local function request(method, params, bufnr)
  local response, err = client:request_sync(method, params, TIMEOUT, bufnr or 0)
  assert(response, ('%s: no response (%s)'):format(method, tostring(err)))
  if response.err then
    error(('%s failed: %s'):format(method, vim.inspect(response.err)))
  end
  return response.result
end

local function wait_for(what, timeout, done)
  h.wait_for(what, timeout, done, 50)
end

--- The quickfix list as plain data (the buffer numbers turned into file names).
local function quickfix()
  local out = {}
  for _, entry in ipairs(vim.fn.getqflist()) do
    out[#out + 1] = {
      filename = vim.api.nvim_buf_get_name(entry.bufnr),
      lnum = entry.lnum,
      col = entry.col,
      text = entry.text,
    }
  end
  return out
end

--- Runs a built-in feature that fills the quickfix list (and opens its window), waits
--- for the list, closes the window again and returns the entries.
local function via_quickfix(what, run)
  local win = vim.api.nvim_get_current_win()
  vim.fn.setqflist({}, 'r', { title = '', items = {} })
  run()
  wait_for(what .. ' in the quickfix list', TIMEOUT, function()
    return #vim.fn.getqflist() > 0
  end)
  local items = quickfix()
  vim.cmd.cclose()
  vim.api.nvim_set_current_win(win)
  return items
end

--- Opens `rel` in the current window, attached to the client (didOpen).
local function open(rel)
  vim.cmd.edit(vim.fn.fnameescape(path(rel)))
  local buf = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(buf, client.id)
  return buf
end

--- The callers' names of the symbol at (line, character) of `rel` (0-based), asked the
--- way a call hierarchy view asks: prepare, then incomingCalls.
local function callers(rel, line, character)
  local items = request('textDocument/prepareCallHierarchy', {
    textDocument = { uri = uri(rel) },
    position = { line = line, character = character },
  })
  assert(items and #items == 1, 'prepareCallHierarchy: ' .. vim.inspect(items))
  local names = {}
  for _, call in ipairs(request('callHierarchy/incomingCalls', { item = items[1] }) or {}) do
    names[#names + 1] = call.from.name
  end
  table.sort(names)
  return names, items[1]
end

local steps = {}
-- Run after every step, before the client stops.
local at_end = {} ---@type function[]

function steps.search()
  local result = request('kenning/search', { query = 'look the name up in the registry', limit = 5 })
  emit({ step = 'search', result = result })
end

function steps.incoming_calls()
  local buf = open('pkg/core.py')
  -- `def resolve_target(name):` is line 4; the cursor on the name.
  vim.api.nvim_win_set_cursor(0, { 4, 6 })
  local items = via_quickfix('incoming calls', vim.lsp.buf.incoming_calls)
  emit({ step = 'incoming_calls', quickfix = items })
  -- The same through the requests a call hierarchy view sends.
  local prepared = request('textDocument/prepareCallHierarchy', {
    textDocument = { uri = uri('pkg/core.py') },
    position = { line = 3, character = 6 },
  }, buf)
  local incoming = request('callHierarchy/incomingCalls', { item = prepared[1] }, buf)
  emit({ step = 'incoming_calls_requests', prepared = prepared, incoming = incoming })
end

function steps.workspace_symbol()
  local items = via_quickfix('workspace symbols', function()
    vim.lsp.buf.workspace_symbol('regist')
  end)
  emit({ step = 'workspace_symbol', quickfix = items })
end

function steps.reindex()
  local all = request('workspace/executeCommand', { command = 'kenning.reindex', arguments = {} })
  local file = request(
    'workspace/executeCommand',
    { command = 'kenning.reindex', arguments = { uri('pkg/app.py') } }
  )
  local status = request('kenning/status', vim.empty_dict())
  emit({ step = 'reindex', all = all, file = file, status = status, app_uri = uri('pkg/app.py') })
end

function steps.empty_params()
  -- How Neovim users write "no params": nil (the request has no `params` member) or
  -- an empty table (which vim.json encodes as `[]`). Sent without waiting; the answers
  -- are collected after the other steps, so one that never comes costs no time.
  local answers = {}
  for name, params in pairs({ omitted = false, empty_table = {} }) do
    client:request('kenning/status', params or nil, function(err, result)
      answers[name] = { err = err, phase = result and result.phase }
    end, 0)
  end
  at_end[#at_end + 1] = function()
    vim.wait(200, function()
      return answers.omitted ~= nil and answers.empty_table ~= nil
    end, 50)
    emit({ step = 'empty_params', answers = answers })
  end
end

function steps.edits()
  local sync = client.server_capabilities.textDocumentSync
  local buf = open('pkg/app.py')
  local before = callers('pkg/core.py', 3, 6)
  -- main() calls a new function instead of resolve_target: one line replaced (an
  -- incremental didChange), a definition appended, nothing saved yet.
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, true)
  local row = vim.fn.index(lines, '    return resolve_target("y")')
  assert(row >= 0, 'the call line is not in app.py: ' .. vim.inspect(lines))
  vim.api.nvim_buf_set_lines(buf, row, row + 1, true, { '    return fresh_target("y")' })
  vim.api.nvim_buf_set_lines(buf, -1, -1, true, { '', '', 'def fresh_target(name):', '    return name' })
  local unsaved
  local ok = vim.wait(10000, function()
    unsaved = callers('pkg/core.py', 3, 6)
    return not vim.tbl_contains(unsaved, 'main')
  end, 200)
  emit({ step = 'edit_unsaved', sync = sync, before = before, after = unsaved, in_time = ok })
  vim.cmd.write()
  local saved
  ok = vim.wait(10000, function()
    saved = callers('pkg/core.py', 3, 6)
    return not vim.tbl_contains(saved, 'main')
  end, 200)
  -- The new function's callers: main, at the line it now calls it from.
  local fresh = callers('pkg/app.py', #lines + 2, 6)
  emit({
    step = 'edit_saved',
    after = saved,
    in_time = ok,
    fresh_callers = fresh,
    on_disk = vim.fn.readfile(path('pkg/app.py')),
  })
end

-- The mixed workspace of tests/clients/test_nvim_languages.py: a TypeScript file and a
-- Go package beside Python, each calling a function defined in another file.

--- The incoming calls of the function named on `line` (1-based) of `rel`, through
--- Neovim's own call hierarchy (the quickfix list), the cursor on `column` (0-based).
local function incoming_quickfix(rel, line, column)
  open(rel)
  vim.api.nvim_win_set_cursor(0, { line, column })
  return via_quickfix('incoming calls of ' .. rel, vim.lsp.buf.incoming_calls)
end

function steps.languages_symbols()
  local found = via_quickfix('workspace symbols', function()
    vim.lsp.buf.workspace_symbol('resolveTarget')
  end)
  emit({ step = 'languages_symbols', symbols = found })
end

function steps.languages_incoming()
  -- `export function resolveTarget(` is line 2 of web/core.ts; `func ResolveTarget(`
  -- line 4 of core/core.go; the cursor on the name.
  local ts = incoming_quickfix('web/core.ts', 2, 17)
  local go = incoming_quickfix('core/core.go', 4, 6)
  emit({ step = 'languages_incoming', typescript = ts, go = go })
end

function steps.languages_search()
  -- What :KenningSearch sends, with the language filter a user adds.
  local found = {}
  for _, language in ipairs({ 'typescript', 'go', 'python' }) do
    found[language] = request('kenning/search', {
      query = 'finds where a name goes',
      limit = 10,
      filters = { languages = { language } },
    })
  end
  emit({ step = 'languages_search', results = found })
end

function steps.languages_edits()
  -- main() in web/app.ts calls a new function instead of resolveTarget, unsaved; the
  -- same in the Go buffer; then the callers and workspace symbols see both.
  local function edit(rel, old, new, appended)
    local buf = open(rel)
    local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, true)
    local row = vim.fn.index(lines, old)
    assert(row >= 0, ('%q is not in %s: %s'):format(old, rel, vim.inspect(lines)))
    vim.api.nvim_buf_set_lines(buf, row, row + 1, true, { new })
    vim.api.nvim_buf_set_lines(buf, -1, -1, true, appended)
    return #lines
  end
  local ts_lines = edit('web/app.ts', '  return resolveTarget("y");', '  return freshTarget("y");',
    { '', 'export function freshTarget(name: string): string {', '  return name;', '}' })
  local go_lines = edit('cmd/app/main.go', '\tcore.ResolveTarget("y")', '\tfreshTarget("y")',
    { '', 'func freshTarget(name string) string {', '\treturn name', '}' })
  local ts_after, go_after
  local ok = vim.wait(10000, function()
    ts_after = callers('web/core.ts', 1, 17)
    go_after = callers('core/core.go', 3, 6)
    return not vim.tbl_contains(ts_after, 'main') and not vim.tbl_contains(go_after, 'main')
  end, 200)
  local fresh_ts = callers('web/app.ts', ts_lines + 1, 17)
  local fresh_go = callers('cmd/app/main.go', go_lines + 1, 6)
  local symbols = request('workspace/symbol', { query = 'freshTarget' })
  emit({
    step = 'languages_edits',
    in_time = ok,
    typescript_after = ts_after,
    go_after = go_after,
    fresh_typescript = fresh_ts,
    fresh_go = fresh_go,
    symbols = symbols,
  })
end

function steps.status()
  -- Wait for the notifications to say everything is embedded (the test then asserts
  -- what they said on the way).
  local idle = vim.wait(60000, function()
    local last = statuses[#statuses]
    return last ~= nil
      and last.phase == 'idle'
      and last.pending == 0
      and last.chunks > 0
      and last.embedded > last.chunks
  end, 50)
  local now = request('kenning/status', vim.empty_dict())
  emit({ step = 'status', notifications = statuses, times_ms = status_times, now = now, idle = idle })
end

function steps.progress()
  -- After `status`: everything is embedded, so the end of the embedding progress is
  -- due (a short grace for the throttled messages still on their way).
  local ended = vim.wait(3000, function()
    for _, p in ipairs(progress) do
      if p.kind == 'end' and p.message and p.message:find('texts embedded') then
        return true
      end
    end
    return false
  end, 50)
  emit({ step = 'progress', progress = progress, ended = ended })
end

local function main()
  vim.cmd.edit(vim.fn.fnameescape(path(config.open or 'pkg/core.py')))
  local id = vim.lsp.start({
    name = 'kenning',
    cmd = config.cmd,
    root_dir = root,
    init_options = { embedding = config.embedding, debounceMs = 50 },
    handlers = {
      ['kenning/status'] = function(_, result)
        statuses[#statuses + 1] = result
        status_times[#status_times + 1] = now_ms()
      end,
      ['window/showMessage'] = function(_, result)
        messages[#messages + 1] = result
      end,
    },
  })
  assert(id, 'vim.lsp.start failed')
  client = assert(vim.lsp.get_client_by_id(id))
  wait_for('initialize', TIMEOUT, function()
    return client.initialized == true
  end)
  -- The first index: ask kenning/status until the folder is idle.
  local status
  wait_for('the first index', 60000, function()
    status = request('kenning/status', vim.empty_dict())
    return status.phase == 'idle' and status.files > 0
  end)
  emit({ step = 'ready', status = status })

  local passed = h.run_steps(steps, config.steps)
  for _, finish in ipairs(at_end) do
    finish()
  end
  emit({ step = 'messages', messages = messages })

  client:stop()
  local stopped = vim.wait(10000, function()
    return client:is_stopped()
  end, 50)
  emit({ step = 'stopped', clean = stopped })
  return passed
end

h.finish(main)
