/**
 * The commands that manage the index and the server: reindex (the workspace or one
 * file), pause and resume embedding — each the server's `workspace/executeCommand`,
 * resolving to its `CommandResult` and telling the user its message — and the status
 * details behind the status bar item.
 */

import * as vscode from 'vscode';

import { CommandResult, PAUSE_EMBEDDING, REINDEX, RESUME_EMBEDDING, STATUS, StatusResult } from '../protocol';
import { KenningServer, message } from '../server';
import { counts, folderName } from '../status';

/** Runs one of the server's commands; tells the user the result or the failure. */
export async function serverCommand(
  server: KenningServer,
  command: string,
  args: unknown[] = [],
): Promise<CommandResult | undefined> {
  try {
    const result = await server.executeCommand(command, args);
    // Not awaited: the promise settles only when the notification is dismissed.
    void vscode.window.showInformationMessage(`Kenning: ${result.message}`);
    return result;
  } catch (error) {
    void vscode.window.showErrorMessage(`Kenning: ${command} failed: ${message(error)}`);
    return undefined;
  }
}

export function reindexWorkspace(server: KenningServer): Promise<CommandResult | undefined> {
  return serverCommand(server, REINDEX);
}

/** The file given (a `Uri`, as from the explorer), else the active editor's. */
export async function reindexFile(server: KenningServer, uri?: unknown): Promise<CommandResult | undefined> {
  const file = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
  if (file === undefined) {
    void vscode.window.showInformationMessage('Kenning: open the file to reindex first.');
    return undefined;
  }
  return serverCommand(server, REINDEX, [file.toString()]);
}

export function pauseEmbedding(server: KenningServer): Promise<CommandResult | undefined> {
  return serverCommand(server, PAUSE_EMBEDDING);
}

export function resumeEmbedding(server: KenningServer): Promise<CommandResult | undefined> {
  return serverCommand(server, RESUME_EMBEDDING);
}

interface StatusItem extends vscode.QuickPickItem {
  command?: string;
}

export function statusItems(status: StatusResult): StatusItem[] {
  const items: StatusItem[] = [
    {
      label: `$(database) kenning: ${status.phase}`,
      description: status.health === 'ok' ? undefined : status.health,
      detail: status.message,
    },
  ];
  for (const folder of status.folders) {
    items.push({
      label: `$(folder) ${folderName(folder.uri)}`,
      description: `${folder.phase}${folder.health === 'ok' ? '' : `, ${folder.health}`}`,
      detail: `${folder.message} — ${counts(folder)}`,
    });
  }
  const paused = status.folders.some((f) => f.embeddingPaused);
  items.push(
    { label: 'Actions', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(refresh) Reindex Workspace', command: 'kenning.reindexWorkspace' },
    paused
      ? { label: '$(debug-continue) Resume Embedding', command: 'kenning.embedding.resume' }
      : { label: '$(debug-pause) Pause Embedding', command: 'kenning.embedding.pause' },
    { label: '$(debug-restart) Restart Server', command: 'kenning.restartServer' },
    { label: '$(output) Show Output', command: 'kenning.showOutput' },
  );
  return items;
}

/**
 * The `kenning/status` request's result as a quick pick (per folder, with counts),
 * with the actions that go with it. Resolves to the result once shown.
 */
export async function showStatus(server: KenningServer): Promise<StatusResult | undefined> {
  let status: StatusResult;
  try {
    status = await server.request(STATUS, {});
  } catch (error) {
    void vscode.window
      .showErrorMessage(`Kenning: no status: ${message(error)}`, 'Restart Server', 'Show Output')
      .then((choice) => {
        if (choice === 'Restart Server') {
          void vscode.commands.executeCommand('kenning.restartServer');
        } else if (choice === 'Show Output') {
          void vscode.commands.executeCommand('kenning.showOutput');
        }
      });
    return undefined;
  }
  const pick = vscode.window.createQuickPick<StatusItem>();
  pick.title = 'Kenning: Status';
  pick.items = statusItems(status);
  pick.onDidAccept(() => {
    const command = (pick.selectedItems[0] ?? pick.activeItems[0])?.command;
    pick.hide();
    if (command !== undefined) {
      void vscode.commands.executeCommand(command);
    }
  });
  pick.onDidHide(() => pick.dispose());
  pick.show();
  return status;
}
