/**
 * The extension's commands, by id. Their ids differ from the server's
 * `workspace/executeCommand` ids (`kenning.reindex`, ...), which vscode-languageclient
 * registers as commands of their own.
 */

import * as vscode from 'vscode';

import { KenningServer } from '../server';
import { showCalls } from './calls';
import { showImpact } from './impact';
import { pauseEmbedding, reindexFile, reindexWorkspace, resumeEmbedding, showStatus } from './manage';
import { searchCode } from './search';

export const COMMAND_IDS = {
  searchCode: 'kenning.searchCode',
  showCallers: 'kenning.showCallers',
  showCallees: 'kenning.showCallees',
  showImpact: 'kenning.showImpact',
  reindexWorkspace: 'kenning.reindexWorkspace',
  reindexFile: 'kenning.reindexFile',
  pauseEmbedding: 'kenning.embedding.pause',
  resumeEmbedding: 'kenning.embedding.resume',
  showStatus: 'kenning.showStatus',
  restartServer: 'kenning.restartServer',
  showOutput: 'kenning.showOutput',
} as const;

export function registerCommands(server: KenningServer, output: vscode.OutputChannel): vscode.Disposable[] {
  const handlers: Record<keyof typeof COMMAND_IDS, (...args: unknown[]) => unknown> = {
    searchCode: (query) => searchCode(server, query),
    showCallers: (uri, position) => showCalls('incoming', uri, position),
    showCallees: (uri, position) => showCalls('outgoing', uri, position),
    showImpact: (symbolOrUri, position) => showImpact(server, symbolOrUri, position),
    reindexWorkspace: () => reindexWorkspace(server),
    reindexFile: (uri) => reindexFile(server, uri),
    pauseEmbedding: () => pauseEmbedding(server),
    resumeEmbedding: () => resumeEmbedding(server),
    showStatus: () => showStatus(server),
    restartServer: () => server.restart(),
    showOutput: () => output.show(true),
  };
  return Object.entries(COMMAND_IDS).map(([name, id]) =>
    vscode.commands.registerCommand(id, handlers[name as keyof typeof COMMAND_IDS]),
  );
}
