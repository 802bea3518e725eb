-- kenning's protocol as the Neovim client sees it: the names of the custom methods,
-- the status notification and the commands, plus what decides where the server runs
-- (the filetypes it indexes, the markers of a workspace).
--
-- The server declares these once, in daemon/kenning/server/protocol.py (methods and
-- commands), daemon/kenning/languages/ (languages: their LSP language ids) and
-- daemon/kenning/engine/engine.py (workspace markers); docs/protocol.md documents
-- them. tests/clients/test_nvim_client.py fails when this mirror drifts from them.

local M = {}

--- Requests (client -> server).
M.methods = {
  search = 'kenning/search',
  call_graph = 'kenning/callGraph',
  impact = 'kenning/impact',
  status = 'kenning/status',
  symbols = 'kenning/symbols',
  describe = 'kenning/describe',
  reindex = 'kenning/reindex',
  pause_embedding = 'kenning/pauseEmbedding',
  resume_embedding = 'kenning/resumeEmbedding',
}

--- Notification (server -> client): a StatusResult whenever phase or counts change.
M.status_notification = 'kenning/status'

--- `workspace/executeCommand` commands.
M.commands = {
  reindex = 'kenning.reindex',
  pause_embedding = 'kenning.pauseEmbedding',
  resume_embedding = 'kenning.resumeEmbedding',
}

--- The filetypes of the languages the server indexes (their LSP language ids).
M.filetypes = { 'go', 'java', 'javascript', 'javascriptreact', 'python', 'rust', 'typescript', 'typescriptreact' }

--- The folder the index lives in (the `indexDir` setting's default).
M.index_dir = '.kenning'

--- What makes a folder a workspace when it has no index yet, as `kenning` on the
--- command line finds one: the nearest folder holding any of these.
M.workspace_markers = {
  '.git',
  '.hg',
  'pyproject.toml',
  'setup.py',
  'setup.cfg',
  'tsconfig.json',
  'package.json',
  'jsconfig.json',
  'go.mod',
  'pom.xml',
  'build.gradle',
  'build.gradle.kts',
  'Cargo.toml',
}

return M
