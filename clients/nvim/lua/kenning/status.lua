-- The statusline component: what each kenning client last said about its index, kept
-- from the `kenning/status` notification (a StatusResult, docs/protocol.md) and from
-- work-done progress ("kenning: indexing <folder>", "kenning: embedding <folder>"),
-- rendered as one short string by `render`. Every update redraws the statuslines and
-- fires `User KenningStatus` for statusline plugins that cache their text.

local M = {}

---@class kenning.Work
---@field title string
---@field message? string
---@field percentage? integer

---@class kenning.ClientState
---@field status? table the last StatusResult
---@field work table<integer|string, kenning.Work> progress begun and not ended, by token
---@field indexed? boolean an indexing progress ended after the last status came

---@type table<integer, kenning.ClientState>
local states = {}

---@param client_id integer
---@return kenning.ClientState
local function state(client_id)
  states[client_id] = states[client_id] or { work = {} }
  return states[client_id]
end

local redraw_pending = false

--- Redraws every statusline once, after the current batch of messages.
local function changed()
  if redraw_pending then
    return
  end
  redraw_pending = true
  vim.schedule(function()
    redraw_pending = false
    vim.cmd.redrawstatus({ bang = true })
    vim.api.nvim_exec_autocmds('User', { pattern = 'KenningStatus', modeline = false })
  end)
end

--- Handler of the `kenning/status` notification.
---@param result table a StatusResult
---@param ctx lsp.HandlerContext
function M.on_status(_, result, ctx)
  local s = state(ctx.client_id)
  s.status = result
  s.indexed = false
  changed()
end

--- Handler of `$/progress`: Neovim's own handler first (it keeps `client.progress` and
--- fires `LspProgress` for other plugins), then kenning's record of the work.
---@param err lsp.ResponseError?
---@param params lsp.ProgressParams
---@param ctx lsp.HandlerContext
function M.on_progress(err, params, ctx)
  local default = vim.lsp.handlers['$/progress']
  local ret = default and default(err, params, ctx)
  local value = params and params.value
  if type(value) ~= 'table' or value.kind == nil then
    return ret
  end
  local work = state(ctx.client_id).work
  if value.kind == 'end' then
    local ended = work[params.token]
    if ended and vim.startswith(ended.title, 'kenning: indexing') then
      state(ctx.client_id).indexed = true
    end
    work[params.token] = nil
  else
    local entry = work[params.token] or { title = '' }
    entry.title = value.title or entry.title
    entry.message = value.message or entry.message
    entry.percentage = value.percentage or entry.percentage
    work[params.token] = entry
  end
  changed()
  return ret
end

--- `1234567` -> `1,234,567`, as the server writes counts.
---@param n integer
---@return string
local function grouped(n)
  local digits = tostring(math.floor(n or 0))
  local out = digits:reverse():gsub('(%d%d%d)', '%1,'):reverse()
  return (out:gsub('^,', ''))
end

--- The work in progress whose title starts with `prefix`, if any.
---@param work table<integer|string, kenning.Work>
---@param prefix string
---@return kenning.Work?
local function find_work(work, prefix)
  for _, entry in pairs(work) do
    if vim.startswith(entry.title or '', prefix) then
      return entry
    end
  end
end

--- The component's text for a client's state (what `render` shows; public so that it
--- can be checked case by case).
---@param s kenning.ClientState
---@return string
function M.format(s)
  local indexing = find_work(s.work, 'kenning: indexing')
  if indexing then
    -- Progress is the freshest word on indexing, and the only one with a percentage.
    if indexing.percentage then
      return ('kenning: indexing %d%%'):format(indexing.percentage)
    end
    return 'kenning: indexing'
  end
  local status = s.status
  if s.indexed and (not status or status.phase == 'starting' or status.phase == 'indexing') then
    -- Indexing just ended, and the status saying what came next is on its way (it is
    -- sent a few times a second at most): not back to "starting" meanwhile.
    return 'kenning: indexing'
  end
  if not status then
    local embedding = find_work(s.work, 'kenning: embedding')
    if embedding and embedding.message then
      return 'kenning: embedding ' .. embedding.message
    end
    return 'kenning: starting'
  end
  local phase = status.phase
  if phase == 'embedding' then
    -- Texts to embed, not chunks: each definition's description is a text too (as the
    -- VS Code extension counts).
    local texts = status.embedded + status.pending + status.failed
    if texts == 0 then
      return 'kenning: embedding' -- the pool has not counted the texts yet
    end
    return ('kenning: %s/%s embedded'):format(grouped(status.embedded), grouped(texts))
  end
  if phase == 'idle' then
    local parts = { 'kenning: idle' }
    for _, folder in ipairs(status.folders or {}) do
      if folder.embeddingPaused then
        parts[#parts + 1] = 'embedding paused'
        break
      end
    end
    if (status.failed or 0) > 0 then
      parts[#parts + 1] = grouped(status.failed) .. ' failed'
    end
    return table.concat(parts, ', ')
  end
  -- starting, indexing (before any progress), read-only, error: the phase says it.
  return 'kenning: ' .. phase
end

--- The statusline text for `bufnr` (the buffer of the window being drawn when used in
--- a `%{}` item): empty when no kenning client is attached to it.
---@param bufnr? integer
---@return string
function M.render(bufnr)
  local client =
    vim.lsp.get_clients({ bufnr = bufnr or 0, name = require('kenning.client').name })[1]
  if not client then
    return ''
  end
  return M.format(state(client.id))
end

--- A StatusResult in words, for :KenningStatus and :checkhealth: a summary line, and
--- for each workspace folder its message and its counts (two lines) and its health.
---@param status table a StatusResult
---@return {summary: string, folders: {health: string, text: string}[]}
function M.describe(status)
  local folders = {}
  for _, folder in ipairs(status.folders or {}) do
    local path = vim.fn.fnamemodify(vim.uri_to_fname(folder.uri), ':~')
    local counts = ('%s, %s: %d files, %d symbols, %d chunks, %d embedded, %d pending, %d failed'):format(
      folder.phase,
      folder.health,
      folder.files,
      folder.symbols,
      folder.chunks,
      folder.embedded,
      folder.pending,
      folder.failed
    )
    if folder.embeddingPaused then
      counts = counts .. ', embedding paused'
    end
    if folder.readOnly then
      counts = counts .. ', read-only'
    end
    folders[#folders + 1] = {
      health = folder.health,
      text = ('%s: %s\n  %s'):format(path, folder.message, counts),
    }
  end
  return { summary = ('%s, health %s'):format(status.phase, status.health), folders = folders }
end

return M
