"""kenning's protocol structs -> LSP's own types (call hierarchy items, symbol
information), for the LSP front end only."""

from __future__ import annotations

from lsprotocol import types

from kenning.core.facts import SymbolKind
from kenning.server import protocol as p

# kenning's symbol kinds as LSP shows them (an icon per kind in the editor).
SYMBOL_KINDS: dict[str, types.SymbolKind] = {
    SymbolKind.MODULE: types.SymbolKind.Module,
    SymbolKind.NAMESPACE: types.SymbolKind.Namespace,
    SymbolKind.CLASS: types.SymbolKind.Class,
    SymbolKind.INTERFACE: types.SymbolKind.Interface,
    SymbolKind.STRUCT: types.SymbolKind.Struct,
    SymbolKind.ENUM: types.SymbolKind.Enum,
    # LSP has no trait: an interface is the nearest thing a client draws.
    SymbolKind.TRAIT: types.SymbolKind.Interface,
    SymbolKind.TYPE_ALIAS: types.SymbolKind.TypeParameter,
    SymbolKind.FUNCTION: types.SymbolKind.Function,
    SymbolKind.METHOD: types.SymbolKind.Method,
    SymbolKind.CONSTANT: types.SymbolKind.Constant,
    SymbolKind.EXTERNAL: types.SymbolKind.Null,
}


def lsp_range(r: p.Range) -> types.Range:
    return types.Range(
        types.Position(r.start.line, r.start.character), types.Position(r.end.line, r.end.character)
    )


def hierarchy_item(folder_uri: str, node: p.Node, how: str = "") -> types.CallHierarchyItem:
    """A call hierarchy entry; `how` (the resolution kind and confidence of its call)
    leads its `detail`, so an editor shows it next to the name."""
    assert node.uri is not None
    detail = _detail(node)
    return types.CallHierarchyItem(
        name=node.name,
        kind=SYMBOL_KINDS.get(node.kind, types.SymbolKind.Variable),
        uri=node.uri,
        range=lsp_range(node.range),
        selection_range=lsp_range(node.selection_range),
        detail=f"[{how}] {detail}" if how else detail,
        data={"id": node.id, "folder": folder_uri},
    )


def symbol_information(node: p.Node) -> types.SymbolInformation:
    assert node.uri is not None
    container = node.qualname.rsplit(".", 1)[0] if "." in node.qualname else None
    return types.SymbolInformation(
        name=node.name,
        kind=SYMBOL_KINDS.get(node.kind, types.SymbolKind.Variable),
        location=types.Location(node.uri, lsp_range(node.selection_range)),
        container_name=container,
    )


def how(call: p.Call) -> str:
    """How a call hierarchy entry's call was resolved, for its `detail`."""
    return f"{call.resolution} {call.confidence:.2f}"


def _detail(node: p.Node) -> str:
    return f"{node.qualname}{node.signature}" if node.signature else node.qualname
