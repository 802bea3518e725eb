-- What both headless Neovim scripts (e2e.lua, client.lua) share: findings printed as
-- JSON lines, timing, waiting, running the named steps, and the exit status.
--
-- A script loads it with `dofile` from its own folder and calls `harness.new(root)`.

local M = {}

---@param root string the project folder the session works in
function M.new(root)
  local h = {}
  local started = vim.uv.hrtime()

  --- Milliseconds since the script started.
  function h.now_ms()
    return math.floor((vim.uv.hrtime() - started) / 1e6)
  end

  --- Prints one finding, stamped with the time it was made.
  function h.emit(finding)
    finding.at_ms = h.now_ms()
    io.stdout:write(vim.json.encode(finding), '\n')
    io.stdout:flush()
  end

  function h.path(rel)
    return vim.fs.joinpath(root, rel)
  end

  --- `vim.wait` that fails the step when `done` never holds.
  function h.wait_for(what, timeout, done, interval)
    if not vim.wait(timeout, done, interval or 50) then
      error(('timed out after %d ms waiting for %s'):format(timeout, what))
    end
  end

  --- Runs the steps named, in order; a step that raises is reported as
  --- {"step": NAME, "error": TRACEBACK} and the others still run. True if all passed.
  function h.run_steps(steps, names)
    local failed = false
    for _, name in ipairs(names) do
      local step = assert(steps[name], 'no step ' .. name)
      local ok, err = xpcall(step, debug.traceback)
      if not ok then
        failed = true
        h.emit({ step = name, error = tostring(err) })
      end
    end
    return not failed
  end

  --- Runs `main` and quits Neovim: exit status 0 only if it returned true.
  function h.finish(main)
    local ok, result = xpcall(main, debug.traceback)
    if not ok then
      h.emit({ step = 'session', error = tostring(result) })
    end
    vim.cmd(ok and result and 'qa!' or 'cq!')
  end

  return h
end

return M
