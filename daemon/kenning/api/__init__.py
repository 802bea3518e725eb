"""The HTTP JSON-RPC API's client side: finding a workspace's owning daemon and calling it.

The server side lives in `kenning.server.http`, beside the language server it shares an
event loop and an engine with.
"""
