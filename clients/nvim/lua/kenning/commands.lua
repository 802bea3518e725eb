-- The buffer-local :Kenning* commands, made when the kenning client attaches to a
-- buffer (`attach`, called from the config's `on_attach`).
--
-- Each command is one request: params from the buffer and the cursor, the result
-- turned into what the user looks at (the quickfix list, a notification). Requests go
-- through kenning.client, which checks that the server supports them and shows its
-- errors.

local client_util = require('kenning.client')
local protocol = require('kenning.protocol')

local M = {}

local levels = vim.log.levels
local methods = protocol.methods

-- Hits asked of `kenning/search` (the server allows 1–200).
local SEARCH_LIMIT = 50

--- The first non-blank line of a snippet, trimmed.
---@param snippet string
---@return string
local function first_line(snippet)
  for line in vim.gsplit(snippet or '', '\n', { plain = true }) do
    if line:find('%S') then
      return vim.trim(line)
    end
  end
  return ''
end

--- `textDocument` + `position` of the cursor in the current window, in the client's
--- position encoding (UTF-16 for kenning).
---@param client vim.lsp.Client
---@return table
local function cursor_params(client)
  return vim.lsp.util.make_position_params(0, client.offset_encoding)
end

-- -- :KenningSearch ------------------------------------------------------------------

--- `kenning/search` for `query`; the hits, best first, to the quickfix list; with
--- `pick`, a `vim.ui.select` picker over them instead of the quickfix window (the list
--- is filled all the same), the chosen hit opened in the window the search came from.
---@param client vim.lsp.Client
---@param bufnr integer
---@param query string
---@param pick boolean
function M.search(client, bufnr, query, pick)
  local win = vim.api.nvim_get_current_win()
  local params = { query = query, limit = SEARCH_LIMIT }
  client_util.request(client, ':KenningSearch', methods.search, params, bufnr, function(result)
    if result.note and result.note ~= '' then
      client_util.notify(result.note, levels.WARN)
    end
    local hits = result.hits or {}
    if #hits == 0 then
      client_util.notify(('no results for %q'):format(query))
      return
    end
    local locations = {}
    for _, hit in ipairs(hits) do
      locations[#locations + 1] = {
        uri = hit.uri,
        range = hit.range,
        text = ('%s [%s] %s'):format(hit.symbol, hit.kind, first_line(hit.snippet)),
      }
    end
    local items = client_util.quickfix_items(locations, client.offset_encoding)
    local title = ('kenning search: %s'):format(query)
    client_util.set_quickfix(title, items)
    if not pick then
      vim.cmd('botright copen')
      return
    end
    vim.ui.select(items, {
      prompt = title,
      kind = 'kenning.search',
      format_item = function(item)
        local file = vim.fn.fnamemodify(item.filename, ':~:.')
        return ('%s:%d: %s'):format(file, item.lnum, item.text)
      end,
    }, function(_, index)
      if not index then
        return
      end
      if vim.api.nvim_win_is_valid(win) then
        vim.api.nvim_set_current_win(win)
      end
      vim.lsp.util.show_document(locations[index], client.offset_encoding, { focus = true })
    end)
  end)
end

-- -- :KenningCallers, :KenningCallees ------------------------------------------------

--- The call sites of the symbol under the cursor (`incoming`: where it is called;
--- `outgoing`: the calls it makes), one level deep, to the quickfix list.
---@param client vim.lsp.Client
---@param bufnr integer
---@param direction 'incoming'|'outgoing'
function M.calls(client, bufnr, direction)
  local what = direction == 'incoming' and ':KenningCallers' or ':KenningCallees'
  local params = cursor_params(client)
  params.direction = direction
  params.depth = 1
  client_util.request(client, what, methods.call_graph, params, bufnr, function(result)
    local root = result.root
    local nodes = {}
    for _, node in ipairs(result.nodes or {}) do
      nodes[node.id] = node
    end
    local locations = {}
    -- Resolved edges, then the candidates the server keeps apart (a name several
    -- definitions share, not a resolved call): both listed, the candidates marked.
    local edges = vim.list_extend(vim.list_extend({}, result.edges or {}), result.candidates or {})
    for _, edge in ipairs(edges) do
      local incoming = edge.callee == root.id
      if (direction == 'incoming') == incoming then
        local other = nodes[incoming and edge.caller or edge.callee]
        local name = other and other.qualname or (incoming and edge.caller or edge.callee)
        -- Say when a call was resolved by name only, is one of several candidates or
        -- a possible override, or was not resolved at all: it may be wrong.
        local unsure = { ['name-only'] = true, candidate = true, override = true, unresolved = true }
        if unsure[edge.resolution] then
          name = ('%s (%s)'):format(name, edge.resolution)
        elseif other and other.kind == 'external' then
          name = name .. ' (external)'
        end
        locations[#locations + 1] = { uri = edge.uri, range = edge.range, text = name }
      end
    end
    local label = direction == 'incoming' and 'callers of' or 'callees of'
    if #locations == 0 then
      client_util.notify(('no %s %s'):format(label, root.qualname))
      return
    end
    -- File by file, in the order of the call sites.
    table.sort(locations, function(a, b)
      if a.uri ~= b.uri then
        return a.uri < b.uri
      end
      local sa, sb = a.range.start, b.range.start
      if sa.line ~= sb.line then
        return sa.line < sb.line
      end
      return sa.character < sb.character
    end)
    local items = client_util.quickfix_items(locations, client.offset_encoding)
    client_util.show_quickfix(('kenning %s %s'):format(label, root.qualname), items)
  end)
end

-- -- :KenningImpact ------------------------------------------------------------------

--- Everything that reaches the symbol under the cursor through calls, `depth` levels of
--- callers up: grouped by file (the server's order), each call site with its distance.
---@param client vim.lsp.Client
---@param bufnr integer
---@param depth? integer
function M.impact(client, bufnr, depth)
  local params = cursor_params(client)
  params.depth = depth
  client_util.request(client, ':KenningImpact', methods.impact, params, bufnr, function(result)
    local root = result.root
    local locations = {}
    -- Callers reached only through candidate edges come after the others, marked.
    local files = vim.list_extend(vim.list_extend({}, result.files or {}), result.candidates or {})
    for _, file in ipairs(files) do
      for _, caller in ipairs(file.callers) do
        local text = ('distance %d: %s'):format(caller.distance, caller.symbol.qualname)
        if caller.resolution == 'candidate' then
          text = text .. ' (candidate)'
        end
        local sites = caller.callSites
        if #sites == 0 then
          sites = { caller.symbol.selectionRange }
        end
        for _, range in ipairs(sites) do
          locations[#locations + 1] = { uri = file.uri, range = range, text = text }
        end
      end
    end
    if #locations == 0 then
      client_util.notify(('nothing calls %s'):format(root.qualname))
      return
    end
    local title = ('kenning impact of %s: %d caller(s) in %d file(s)'):format(
      root.qualname,
      result.totalCallers,
      #result.files
    )
    client_util.show_quickfix(title, client_util.quickfix_items(locations, client.offset_encoding))
  end)
end

-- -- :KenningReindex, :KenningPauseEmbedding, :KenningResumeEmbedding -----------------

--- `kenning.reindex`: every folder with no `target`; else the file or folder `target`
--- names (`%` for the current file, any path `expand()` understands).
---@param client vim.lsp.Client
---@param bufnr integer
---@param target string
function M.reindex(client, bufnr, target)
  local arguments = {}
  local label = 'the workspace'
  if target ~= '' then
    local path = vim.fn.expand(target)
    if path == '' then
      client_util.notify((':KenningReindex: %s names no file'):format(target), levels.ERROR)
      return
    end
    path = vim.fs.normalize(vim.fn.fnamemodify(path, ':p'))
    arguments = { vim.uri_from_fname(path) }
    label = vim.fn.fnamemodify(path, ':~:.')
  end
  client_util.notify(('reindexing %s'):format(label))
  local command = protocol.commands.reindex
  client_util.execute(client, ':KenningReindex', command, arguments, bufnr, function(result)
    client_util.notify(result.message)
  end)
end

--- `kenning.pauseEmbedding` or `kenning.resumeEmbedding`.
---@param client vim.lsp.Client
---@param bufnr integer
---@param paused boolean
function M.set_embedding(client, bufnr, paused)
  local what = paused and ':KenningPauseEmbedding' or ':KenningResumeEmbedding'
  local command = paused and protocol.commands.pause_embedding or protocol.commands.resume_embedding
  client_util.execute(client, what, command, {}, bufnr, function(result)
    client_util.notify(result.message)
  end)
end

-- -- :KenningStatus ------------------------------------------------------------------

--- `kenning/status`, shown as a notification whose level is the index's health.
---@param client vim.lsp.Client
---@param bufnr integer
function M.status(client, bufnr)
  local params = vim.empty_dict()
  client_util.request(client, ':KenningStatus', methods.status, params, bufnr, function(status)
    local level = ({ ok = levels.INFO, warning = levels.WARN, error = levels.ERROR })[status.health]
    local described = require('kenning.status').describe(status)
    local lines = { described.summary }
    for _, folder in ipairs(described.folders) do
      lines[#lines + 1] = folder.text
    end
    client_util.notify(table.concat(lines, '\n'), level or levels.INFO)
  end)
end

-- -- attaching ---------------------------------------------------------------------

--- Makes the :Kenning* commands in `bufnr`. Each finds the buffer's kenning client when
--- it runs, so a restarted server is picked up.
---@param bufnr integer
function M.attach(bufnr)
  ---@param name string
  ---@param run fun(client: vim.lsp.Client, opts: table)
  ---@param opts table
  local function command(name, run, opts)
    vim.api.nvim_buf_create_user_command(bufnr, name, function(args)
      local client = client_util.get(bufnr)
      if client then
        run(client, args)
      end
    end, opts)
  end

  command('KenningSearch', function(client, args)
    M.search(client, bufnr, args.args, args.bang)
  end, {
    nargs = '+',
    bang = true,
    desc = 'kenning: search the workspace; hits to the quickfix list (! to pick one)',
  })
  command('KenningCallers', function(client)
    M.calls(client, bufnr, 'incoming')
  end, { desc = 'kenning: where the symbol under the cursor is called' })
  command('KenningCallees', function(client)
    M.calls(client, bufnr, 'outgoing')
  end, { desc = 'kenning: the calls the symbol under the cursor makes' })
  command(
    'KenningImpact',
    function(client, args)
      local depth = nil
      if args.args ~= '' then
        depth = tonumber(args.args)
        if not depth then
          client_util.notify(
            ':KenningImpact takes a depth (1–10), not ' .. args.args,
            levels.ERROR
          )
          return
        end
      end
      M.impact(client, bufnr, depth)
    end,
    { nargs = '?', desc = 'kenning: everything that calls the symbol under the cursor, by file' }
  )
  command('KenningReindex', function(client, args)
    M.reindex(client, bufnr, args.args)
  end, {
    nargs = '?',
    complete = 'file',
    desc = 'kenning: rebuild the index (or reindex a file or folder: % for this file)',
  })
  command('KenningStatus', function(client)
    M.status(client, bufnr)
  end, { desc = "kenning: the index's state, per workspace folder" })
  command('KenningPauseEmbedding', function(client)
    M.set_embedding(client, bufnr, true)
  end, { desc = 'kenning: stop embedding after the batch in flight' })
  command('KenningResumeEmbedding', function(client)
    M.set_embedding(client, bufnr, false)
  end, { desc = 'kenning: go on embedding' })
end

return M
