"""The `kenning` command line: index a workspace and query it."""
