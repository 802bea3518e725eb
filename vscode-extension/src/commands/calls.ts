/**
 * `kenning.showCallers` and `kenning.showCallees`: VS Code's own call hierarchy view
 * (the built-in references-view extension), fed by the standard call hierarchy
 * requests the server answers. The view shows the symbol at the cursor in the
 * direction it remembers, so the direction is set first, then the view is shown.
 */

import * as vscode from 'vscode';

import { Position } from '../protocol';
import { moveCursor } from './util';

export type CallsDirection = 'incoming' | 'outgoing';

// The built-in references-view extension's commands (VS Code 1.100).
export const SHOW_CALL_HIERARCHY = 'references-view.showCallHierarchy';
export const DIRECTION_COMMANDS: Record<CallsDirection, string> = {
  incoming: 'references-view.showIncomingCalls',
  outgoing: 'references-view.showOutgoingCalls',
};

/** Optional arguments `(uri, position)` put the cursor there first. */
export async function showCalls(direction: CallsDirection, uri?: unknown, position?: unknown): Promise<void> {
  if ((uri instanceof vscode.Uri || typeof uri === 'string') && position !== undefined) {
    await moveCursor(uri, position as Position);
  }
  if (vscode.window.activeTextEditor === undefined) {
    void vscode.window.showInformationMessage('Kenning: put the cursor on a function in a Python file first.');
    return;
  }
  await vscode.commands.executeCommand(DIRECTION_COMMANDS[direction]);
  await vscode.commands.executeCommand(SHOW_CALL_HIERARCHY);
}
