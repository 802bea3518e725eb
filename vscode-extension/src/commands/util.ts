/**
 * Small pieces the commands share: protocol ranges to VS Code ranges, paths for
 * display, opening a location, telling a cancelled request from a failed one, and the
 * symbol a command is about (its arguments, else the cursor).
 */

import * as vscode from 'vscode';
import { LSPErrorCodes, ResponseError } from 'vscode-languageclient/node';

import { Position, Range, Target } from '../protocol';

export function toRange(range: Range): vscode.Range {
  return new vscode.Range(
    range.start.line,
    range.start.character,
    range.end.line,
    range.end.character,
  );
}

/** A file URI as the user knows it: relative to its workspace folder. */
export function relativePath(uri: string): string {
  const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
  return vscode.workspace.asRelativePath(vscode.Uri.parse(uri), multiRoot);
}

/** Opens a file with the cursor at the start of `range` and the range in view. */
export async function openLocation(uri: string, range: vscode.Range): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
  const editor = await vscode.window.showTextDocument(document, {
    selection: new vscode.Range(range.start, range.start),
    preview: true,
  });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return editor;
}

/** The server's answer to a request this side cancelled (not a failure to report). */
export function isCancellation(error: unknown): boolean {
  return error instanceof ResponseError && error.code === LSPErrorCodes.RequestCancelled;
}

function isPosition(value: unknown): value is Position {
  const p = value as Position | undefined;
  return typeof p?.line === 'number' && typeof p?.character === 'number';
}

/**
 * The symbol a command is about. Arguments, for other extensions and tests:
 * `(symbol: string)` names it; `(uri: Uri | string, position: {line, character})`
 * puts the cursor there first. Without arguments: the cursor in the active editor.
 * Returns undefined (after telling the user) when there is nothing to go on.
 */
export async function target(arg0?: unknown, arg1?: unknown): Promise<Target | undefined> {
  if (typeof arg0 === 'string' && arg1 === undefined) {
    return { symbol: arg0 };
  }
  if ((arg0 instanceof vscode.Uri || typeof arg0 === 'string') && isPosition(arg1)) {
    await moveCursor(arg0, arg1);
  }
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined) {
    void vscode.window.showInformationMessage('Kenning: put the cursor on a symbol in a Python file first.');
    return undefined;
  }
  const at = editor.selection.active;
  return {
    textDocument: { uri: editor.document.uri.toString() },
    position: { line: at.line, character: at.character },
  };
}

/** Opens `uri` (if it is not the active editor's) with the cursor at `position`. */
export async function moveCursor(uri: vscode.Uri | string, position: Position): Promise<vscode.TextEditor> {
  const target = typeof uri === 'string' ? vscode.Uri.parse(uri) : uri;
  const at = new vscode.Position(position.line, position.character);
  const document = await vscode.workspace.openTextDocument(target);
  return vscode.window.showTextDocument(document, { selection: new vscode.Range(at, at) });
}
