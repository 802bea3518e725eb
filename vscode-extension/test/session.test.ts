/**
 * One session of the extension against the real `kenning serve` on the test project
 * (embeddings off): activation, the status bar, and every command the way a user
 * runs it — through the registered command, with the quick picks driven like a user.
 */

import * as assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { FILE_SUFFIXES } from '../src/languages';
import type { ImpactResult, SearchResult, StatusResult, CommandResult } from '../src/protocol';
import { Session, activate, fake, until } from './harness';

let session: Session;

before(async () => {
  session = activate();
  await until(() => session.api.statusText() === '$(database) kenning: idle', 'the status bar to say idle');
});

after(async () => {
  await session?.stop();
});

function run<T>(command: string, ...args: unknown[]): Promise<T> {
  return fake.executeCommand(command, ...args) as Promise<T>;
}

test('activation starts the client, which reaches running with the user settings', () => {
  const client = session.api.languageClient();
  assert.ok(client !== undefined && client.isRunning());
  assert.deepEqual(client.clientOptions.initializationOptions, { embedding: { enabled: false }, debounceMs: 50 });
  // The server asked VS Code to watch the source files of every language it indexes
  // (dynamic registration).
  const sources = `**/*.{${FILE_SUFFIXES.map((s) => s.slice(1)).join(',')}}`;
  assert.ok(fake.watchers.includes(sources), fake.watchers.join(', '));
  // Work-done progress reached VS Code's progress UI.
  assert.ok(fake.progress.some((p) => p.title === 'kenning: indexing project' && p.done), JSON.stringify(fake.progress));
  assert.deepEqual(
    fake.messages.filter((m) => m.level !== 'info'),
    [],
  );
});

test('the status bar went from starting to idle, with the counts in its tooltip', () => {
  const item = fake.statusBarItems[0];
  assert.equal(item.texts[0], '$(sync~spin) kenning: starting');
  assert.equal(item.text, '$(database) kenning: idle');
  assert.equal(item.command, 'kenning.showStatus');
  assert.equal(item.backgroundColor, undefined);
  assert.match(item.tooltip ?? '', /project: idle, project: 3 files, \d+ symbols/);
  assert.match(item.tooltip ?? '', /3 files, \d+ symbols, 7 chunks/);
});

test('search with a query shows the hits and opens the one accepted at its range', async () => {
  const result = await run<SearchResult>('kenning.searchCode', 'look the name up in the registry');
  const pick = fake.lastQuickPick()!;
  assert.equal(pick.value, 'look the name up in the registry');
  assert.ok(pick.visible && !pick.busy);
  const hit = result.hits.find((h) => h.symbol === 'pkg.core.resolve_target');
  assert.ok(hit, JSON.stringify(result));
  const item = pick.items.find((i) => i.label === 'pkg.core.resolve_target')!;
  assert.equal(item.description, `pkg/core.py:${hit.range.start.line + 1}`);
  assert.match(item.detail!, /def resolve_target\(name\):/);

  pick.accept(item);
  const shown = await until(() => fake.shown.find((s) => s.uri === session.uri('pkg/core.py')), 'core.py to open');
  assert.deepEqual(
    [shown.selection?.start.line, shown.selection?.start.character],
    [hit.range.start.line, hit.range.start.character],
  );
  assert.equal(pick.visible, false);
  assert.ok(pick.disposed);
});

test('search runs as the user types, debounced, the last query winning', async () => {
  const result = await run<undefined>('kenning.searchCode');
  assert.equal(result, undefined);
  const pick = fake.lastQuickPick()!;
  assert.deepEqual(pick.items, []);
  pick.type('reg');
  pick.type('Registry');
  const items = await pick.itemsWhen((items) => items.length > 0, 'search results');
  assert.ok(items.some((i) => i.label === 'pkg.core.Registry'), JSON.stringify(items));
  pick.type('');
  await pick.itemsWhen((items) => items.length === 0, 'the results to clear');
  pick.hide();
});

test('show callers feeds the call hierarchy view with incoming calls', async () => {
  // The cursor on `resolve_target` in its definition (core.py line 4).
  await run('kenning.showCallers', session.uri('pkg/core.py'), { line: 3, character: 6 });
  const shown = fake.callHierarchy!;
  assert.equal(shown.direction, 'incoming');
  assert.deepEqual(
    shown.items.map((i) => i.name),
    ['resolve_target'],
  );
  const callers = shown.calls.map((c) => ('from' in c ? c.from.name : '')).sort();
  assert.deepEqual(callers, ['main', 'register']);
  const order = fake.executed.map((e) => e.command).filter((c) => c.startsWith('references-view.'));
  assert.deepEqual(order.slice(-2), ['references-view.showIncomingCalls', 'references-view.showCallHierarchy']);
});

test('show callees switches the view to outgoing calls', async () => {
  await run('kenning.showCallees', session.uri('pkg/app.py'), { line: 3, character: 5 });
  const shown = fake.callHierarchy!;
  assert.equal(shown.direction, 'outgoing');
  assert.deepEqual(
    shown.items.map((i) => i.name),
    ['main'],
  );
  const callees = shown.calls.map((c) => ('to' in c ? c.to.name : '')).sort();
  assert.ok(callees.includes('register') && callees.includes('resolve_target'), callees.join(', '));
});

test('impact of the symbol at the cursor, grouped by file with distances', async () => {
  await session.open('pkg/core.py', 3, 6);
  const result = await run<ImpactResult>('kenning.showImpact');
  assert.equal(result.root.qualname, 'pkg.core.resolve_target');
  const callers = result.files.flatMap((f) => f.callers.map((c) => [c.symbol.qualname, c.distance]));
  assert.deepEqual(callers.sort(), [
    ['pkg.app.helper', 2],
    ['pkg.app.main', 1],
    ['pkg.core.Registry.register', 1],
  ]);
  const pick = fake.lastQuickPick()!;
  assert.match(pick.title!, /^Impact of pkg\.core\.resolve_target: 3 caller\(s\) in 2 file\(s\)/);
  const labels = pick.items.map((i) => i.label);
  assert.deepEqual(labels.slice(0, 1), ['pkg/app.py']);
  assert.ok(labels.includes('pkg/core.py'));
  const main = pick.items.find((i) => i.label === 'pkg.app.main')!;
  assert.equal(main.description, 'calls it directly · import 0.95');
  pick.accept(main);
  const shown = await until(
    () => fake.shown.find((s) => s.uri === session.uri('pkg/app.py') && s.selection?.start.line === 6),
    'the call site in app.py to open',
  );
  assert.equal(shown.selection?.start.character, 11);
});

test('impact of a symbol named in the arguments', async () => {
  const result = await run<ImpactResult>('kenning.showImpact', 'Registry.register');
  assert.equal(result.root.qualname, 'pkg.core.Registry.register');
  assert.equal(result.totalCallers, 2);
  fake.lastQuickPick()!.hide();
});

test('impact of an unknown symbol tells the user why', async () => {
  const result = await run<ImpactResult | undefined>('kenning.showImpact', 'no_such_function');
  assert.equal(result, undefined);
  const error = fake.messages.at(-1)!;
  assert.equal(error.level, 'error');
  assert.match(error.message, /^Kenning: impact failed: .*no_such_function/);
});

test('reindex the workspace and one file return the server result and tell the user', async () => {
  const all = await run<CommandResult>('kenning.reindexWorkspace');
  assert.deepEqual(all, { message: 'reindexed 1 workspace folder(s)', targets: [session.uri('')] });
  assert.deepEqual(fake.messages.at(-1), { level: 'info', message: 'Kenning: reindexed 1 workspace folder(s)', items: [] });

  await session.open('pkg/app.py');
  const file = await run<CommandResult>('kenning.reindexFile');
  assert.deepEqual(file, { message: 'reindexed 1 target(s)', targets: [session.uri('pkg/app.py')] });
});

test('pause and resume go to the server (embedding is off in this session)', async () => {
  const paused = await run<CommandResult>('kenning.embedding.pause');
  assert.deepEqual(paused, { message: 'embedding is off; nothing paused', targets: [] });
  const resumed = await run<CommandResult>('kenning.embedding.resume');
  assert.deepEqual(resumed, { message: 'embedding is off; nothing resumed', targets: [] });
});

test('show status lists the folders with their counts and the actions', async () => {
  const status = await run<StatusResult>('kenning.showStatus');
  assert.equal(status.phase, 'idle');
  assert.equal(status.files, 3);
  const pick = fake.lastQuickPick()!;
  const labels = pick.items.map((i) => i.label);
  assert.equal(labels[0], '$(database) kenning: idle');
  assert.ok(labels.includes('$(folder) project'), labels.join(', '));
  assert.ok(pick.items.some((i) => /3 files/.test(i.detail ?? '')));
  const restart = pick.items.find((i) => i.label === '$(debug-restart) Restart Server');
  assert.ok(restart);
  pick.hide();
});

test("the server's own command ids stay vscode-languageclient's", () => {
  for (const id of ['kenning.reindex', 'kenning.pauseEmbedding', 'kenning.resumeEmbedding']) {
    assert.ok(fake.commands.has(id), id);
  }
  assert.ok(fake.commands.has('kenning.reindexWorkspace'));
});
