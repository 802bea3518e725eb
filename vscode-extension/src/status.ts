/**
 * The status bar item: what the server's `kenning/status` says (phase, counts, health),
 * or the client's own state before the server has said anything. `render` is a pure
 * function of the two, so it is tested without an editor; `StatusBar` only applies it.
 * A click runs `kenning.showStatus`.
 */

import * as vscode from 'vscode';

import { FolderStatus, StatusResult } from './protocol';
import { KenningServer, ServerState } from './server';

export interface StatusView {
  /** Always `kenning: ...` after an optional codicon. */
  text: string;
  tooltip: string;
  background: 'warning' | 'error' | undefined;
}

const count = new Intl.NumberFormat('en-US');

export function render(state: ServerState, status: StatusResult | undefined, error?: string): StatusView {
  if (state === 'failed') {
    return {
      text: '$(error) kenning: failed',
      tooltip: `The kenning server could not start${error ? `: ${error}` : ''}.\nClick for details.`,
      background: 'error',
    };
  }
  if (state === 'stopped') {
    return { text: '$(circle-slash) kenning: stopped', tooltip: 'The kenning server is not running.', background: undefined };
  }
  if (state === 'starting' || status === undefined) {
    return { text: '$(sync~spin) kenning: starting', tooltip: 'Starting the kenning server…', background: undefined };
  }
  return {
    text: text(status),
    tooltip: tooltip(status),
    background: status.health === 'ok' ? undefined : status.health,
  };
}

function text(status: StatusResult): string {
  const texts = status.embedded + status.pending + status.failed;
  const progress = `${count.format(status.embedded)}/${count.format(texts)} embedded`;
  const paused = status.folders.some((f) => f.embeddingPaused && f.pending > 0);
  switch (status.phase) {
    case 'starting':
      return '$(sync~spin) kenning: starting';
    case 'indexing':
      return '$(sync~spin) kenning: indexing';
    case 'embedding':
      if (texts === 0) {
        // The model is loading and the texts to embed are being counted.
        return '$(database) kenning: preparing embeddings';
      }
      return paused ? `$(debug-pause) kenning: ${progress}, paused` : `$(database) kenning: ${progress}`;
    case 'read-only':
      return '$(lock) kenning: read-only';
    case 'error':
      return '$(error) kenning: error';
    case 'idle':
      return paused ? `$(debug-pause) kenning: ${progress}, paused` : '$(database) kenning: idle';
  }
}

function tooltip(status: StatusResult): string {
  const lines = [`kenning: ${status.phase} — ${status.message}`];
  for (const folder of status.folders) {
    lines.push('', `${folderName(folder.uri)}: ${folder.phase}, ${folder.message}`, `  ${counts(folder)}`);
  }
  lines.push('', 'Click for details.');
  return lines.join('\n');
}

/** The counts of a folder as one line: files, symbols, chunks, embedding. */
export function counts(s: FolderStatus | StatusResult): string {
  const parts = [
    `${count.format(s.files)} files`,
    `${count.format(s.symbols)} symbols`,
    `${count.format(s.chunks)} chunks`,
  ];
  const texts = s.embedded + s.pending + s.failed;
  // No texts to embed: embedding is off (or nothing is indexed yet).
  if (texts) {
    parts.push(`${count.format(s.embedded)}/${count.format(texts)} embedded`);
  }
  if (s.failed) {
    parts.push(`${count.format(s.failed)} failed`);
  }
  if (s.throughput) {
    parts.push(`${s.throughput.toFixed(1)} texts/s`);
  }
  if ('embeddingPaused' in s && s.embeddingPaused) {
    parts.push('embedding paused');
  }
  if ('readOnly' in s && s.readOnly) {
    parts.push('read-only');
  }
  return parts.join(', ');
}

/** The last segment of a folder URI, decoded: what VS Code calls the folder. */
export function folderName(uri: string): string {
  const segments = uri.split('/').filter((s) => s !== '');
  return decodeURIComponent(segments[segments.length - 1] ?? uri);
}

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private status: StatusResult | undefined;
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly server: KenningServer) {
    this.item = vscode.window.createStatusBarItem('kenning.status', vscode.StatusBarAlignment.Left, 0);
    this.item.name = 'Kenning';
    this.item.command = 'kenning.showStatus';
    this.disposables = [
      this.item,
      server.onStatus((status) => {
        this.status = status;
        this.update();
      }),
      server.onState((state) => {
        if (state !== 'running') {
          // A new server tells its own status; the old one's counts are stale.
          this.status = undefined;
        }
        this.update();
      }),
    ];
    this.update();
    this.item.show();
  }

  get text(): string {
    return this.item.text;
  }

  private update(): void {
    const view = render(this.server.state, this.status, this.server.error);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.background
      ? new vscode.ThemeColor(`statusBarItem.${view.background}Background`)
      : undefined;
  }

  dispose(): void {
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}
