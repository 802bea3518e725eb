/**
 * The extension's entry points, and nothing else: `activate` wires the output
 * channels, the server, the status bar and the commands together and starts the
 * server; `deactivate` stops it. The returned API lets tests and other extensions see
 * the status bar's text and the language client.
 */

import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';

import { registerCommands } from './commands';
import { KenningServer } from './server';
import { StatusBar } from './status';

export interface KenningApi {
  /** The status bar item's current text. */
  statusText(): string;
  /** The running (or starting) language client; undefined while there is none. */
  languageClient(): LanguageClient | undefined;
}

let server: KenningServer | undefined;

export function activate(context: vscode.ExtensionContext): KenningApi {
  const output = vscode.window.createOutputChannel('Kenning', { log: true });
  const trace = vscode.window.createOutputChannel('Kenning Trace');
  server = new KenningServer(output, trace);
  // Not awaited: activation must not wait for the server; start() tells the user why
  // it failed, if it does.
  server.start().catch((error: unknown) => output.error(`start failed: ${String(error)}`));
  const statusBar = new StatusBar(server);
  context.subscriptions.push(output, trace, statusBar, ...registerCommands(server, output));
  return {
    statusText: () => statusBar.text,
    languageClient: () => server?.languageClient,
  };
}

export async function deactivate(): Promise<void> {
  const stopping = server;
  server = undefined;
  await stopping?.dispose();
}
