/**
 * A session with embeddings on (two texts a batch, so the project's seven chunks take
 * several): the status bar counts them, pause and resume reach the embedder, and
 * search has vectors once it is done.
 */

import * as assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { CommandResult, SearchResult } from '../src/protocol';
import { Session, activate, fake, until } from './harness';

let session: Session;

before(async () => {
  session = activate({
    'kenning.debounceMs': 50,
    'kenning.embedding.batchSize': 2,
    // The shipped model file as it is: no optimised copy to build first.
    'kenning.embedding.optimize': false,
  });
  await until(
    () => session.api.statusText() === '$(database) kenning: idle' && /12\/12 embedded/.test(fake.statusBarItems[0].tooltip ?? ''),
    'every chunk to be embedded',
    60_000,
  );
});

after(async () => {
  await session?.stop();
});

function run<T>(command: string, ...args: unknown[]): Promise<T> {
  return fake.executeCommand(command, ...args) as Promise<T>;
}

test('the status bar counted the embedded chunks on the way to idle', () => {
  const texts = fake.statusBarItems[0].texts;
  assert.ok(
    texts.some((t) => /^\$\(database\) kenning: \d+\/12 embedded$/.test(t)),
    texts.join('\n'),
  );
  assert.equal(texts.at(-1), '$(database) kenning: idle');
  assert.ok(fake.progress.some((p) => p.title === 'kenning: embedding project' && p.done));
});

test('pause and resume embedding', async () => {
  const folder = session.uri('');
  const paused = await run<CommandResult>('kenning.embedding.pause');
  assert.deepEqual(paused, { message: 'embedding paused', targets: [folder] });
  await until(() => /embedding paused/.test(fake.statusBarItems[0].tooltip ?? ''), 'the tooltip to say paused');
  const resumed = await run<CommandResult>('kenning.embedding.resume');
  assert.deepEqual(resumed, { message: 'embedding resumed', targets: [folder] });
  await until(() => !/embedding paused/.test(fake.statusBarItems[0].tooltip ?? ''), 'the tooltip to drop paused');
});

test('search has vectors once everything is embedded', async () => {
  const result = await run<SearchResult>('kenning.searchCode', 'turn a name into upper case');
  assert.ok(result.vectorsComplete);
  const hit = result.hits.find((h) => h.symbol === 'pkg.core.resolve_target');
  assert.ok(hit?.sources.includes('vector'), JSON.stringify(result.hits));
  assert.equal(fake.lastQuickPick()!.title, 'Kenning: Search Code');
  fake.lastQuickPick()!.hide();
});
