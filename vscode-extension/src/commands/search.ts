/**
 * `kenning.searchCode`: a quick pick that runs `kenning/search` as the user types
 * (debounced, the previous request cancelled), shows the hits (symbol, `path:line`,
 * snippet) and opens the one accepted at its range.
 *
 * The command resolves once the quick pick is shown — with an initial query, once its
 * results are in (to the `SearchResult`) — and leaves the pick open, so that a test or
 * another extension can go on with `workbench.action.acceptSelectedQuickOpenItem`.
 */

import * as vscode from 'vscode';
import { CancellationTokenSource } from 'vscode-languageclient/node';

import { SEARCH, SearchHit, SearchResult } from '../protocol';
import { KenningServer, message } from '../server';
import { isCancellation, openLocation, relativePath, toRange } from './util';

export const SEARCH_DEBOUNCE_MS = 150;
const LIMIT = 50;
const TITLE = 'Kenning: Search Code';

interface HitItem extends vscode.QuickPickItem {
  hit?: SearchHit;
}

const KIND_ICONS: Record<string, string> = {
  function: 'symbol-function',
  method: 'symbol-method',
  class: 'symbol-class',
  module: 'symbol-module',
};

export function hitItem(hit: SearchHit): HitItem {
  return {
    label: hit.symbol,
    description: `${relativePath(hit.uri)}:${hit.range.start.line + 1}`,
    detail: oneLine(hit.snippet),
    iconPath: new vscode.ThemeIcon(KIND_ICONS[hit.kind] ?? 'symbol-misc'),
    // The server ranks; the quick pick must not hide hits whose label lacks the words.
    alwaysShow: true,
    hit,
  };
}

/** A snippet's lines, trimmed and joined: a quick pick's detail is one line. */
export function oneLine(snippet: string): string {
  return snippet
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('  ');
}

/** The quick pick's title: says when results are partial. */
export function title(result: SearchResult | undefined): string {
  if (result === undefined) {
    return TITLE;
  }
  const notes: string[] = [];
  if (!result.vectorsComplete) {
    notes.push(`semantic search covers ${Math.round(result.vectorCoverage * 100)}% of the code so far`);
  }
  if (result.note) {
    notes.push(result.note);
  }
  return notes.length ? `${TITLE} (${notes.join('; ')})` : TITLE;
}

export async function searchCode(server: KenningServer, query?: unknown): Promise<SearchResult | undefined> {
  const pick = vscode.window.createQuickPick<HitItem>();
  pick.title = TITLE;
  pick.placeholder = 'Describe the code you are looking for, or name it';
  pick.matchOnDescription = false;
  pick.matchOnDetail = false;

  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: CancellationTokenSource | undefined;
  let searched: string | undefined;

  const run = async (value: string): Promise<SearchResult | undefined> => {
    searched = value;
    running?.cancel();
    if (value.trim() === '') {
      pick.items = [];
      pick.title = TITLE;
      pick.busy = false;
      return undefined;
    }
    const cancel = (running = new CancellationTokenSource());
    pick.busy = true;
    try {
      const result = await server.request(SEARCH, { query: value, limit: LIMIT }, cancel.token);
      if (cancel.token.isCancellationRequested) {
        return undefined;
      }
      pick.items = result.hits.length
        ? result.hits.map(hitItem)
        : [{ label: `No code found for "${value}"`, alwaysShow: true }];
      pick.title = title(result);
      return result;
    } catch (error) {
      if (cancel.token.isCancellationRequested || isCancellation(error)) {
        return undefined;
      }
      pick.items = [{ label: '$(error) Search failed', detail: message(error), alwaysShow: true }];
      pick.title = `${TITLE} (failed)`;
      server.log(`kenning/search failed for ${JSON.stringify(value)}: ${message(error)}`);
      return undefined;
    } finally {
      if (running === cancel) {
        pick.busy = false;
        running = undefined;
      }
      cancel.dispose();
    }
  };

  pick.onDidChangeValue((value) => {
    if (timer !== undefined) {
      clearTimeout(timer);
    }
    timer = setTimeout(() => {
      timer = undefined;
      if (value !== searched) {
        void run(value);
      }
    }, SEARCH_DEBOUNCE_MS);
  });
  pick.onDidAccept(() => {
    const item = pick.selectedItems[0] ?? pick.activeItems[0];
    if (item?.hit === undefined) {
      return;
    }
    const hit = item.hit;
    pick.hide();
    openLocation(hit.uri, toRange(hit.range)).catch((error: unknown) => {
      void vscode.window.showErrorMessage(`Kenning: cannot open ${hit.uri}: ${message(error)}`);
    });
  });
  pick.onDidHide(() => {
    if (timer !== undefined) {
      clearTimeout(timer);
    }
    running?.cancel();
    pick.dispose();
  });
  pick.show();

  if (typeof query === 'string' && query !== '') {
    pick.value = query;
    return run(query);
  }
  return undefined;
}
