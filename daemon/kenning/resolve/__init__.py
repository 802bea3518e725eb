"""Resolution: turning per-file facts into graph edges, against a model of the workspace.

Pure logic over plain data: `WorkspaceModel` knows every definition and import binding,
`Resolver` answers "what does this call / import / base class point at?".
"""
