/**
 * Settings and the server's lifecycle against the real `kenning serve`: an invalid
 * setting gets the server's own warning; a changed server setting restarts the server
 * (once for a burst of changes) with the new `initializationOptions`, and the new
 * server gets the index lock; the trace setting needs no restart; a missing command
 * fails with a message saying what to set, and commands then say the server is not
 * running; deactivation leaves no server process behind.
 */

import * as assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { FAST, PYTHON, Session, activate, fake, runningServers, until } from './harness';

let session: Session;
const IDLE = '$(database) kenning: idle';

before(async () => {
  session = activate({ ...FAST, 'kenning.debounceMs': 99_999 });
  await until(() => session.api.statusText() === IDLE, 'the status bar to say idle');
});

after(async () => {
  await session?.stop();
});

/** How many times the extension has started a server process. */
function starts(): number {
  return fake.outputChannels[0].lines.filter((l) => l.startsWith('[info] starting ')).length;
}

test("an invalid setting gets the server's warning; the rest is kept", async () => {
  const warning = await until(
    () => fake.messages.find((m) => m.level === 'warning' && m.message.includes('debounceMs')),
    "the server's warning",
  );
  assert.match(warning.message, /setting 'debounceMs' ignored \(debounceMs must be between 0 and 10000\)/);
  const pause = (await fake.executeCommand('kenning.embedding.pause')) as { message: string };
  assert.equal(pause.message, 'embedding is off; nothing paused');
});

test('a burst of setting changes restarts the server once, with the new settings', async () => {
  const before = session.api.languageClient();
  const started = starts();
  fake.config.set('kenning.debounceMs', 100);
  fake.config.set('kenning.exclude', ['build/**']);
  fake.config.set('kenning.maxFileSize', 500_000);
  const client = await until(() => {
    const now = session.api.languageClient();
    return now !== before && now?.isRunning() && now;
  }, 'a new running client');
  assert.deepEqual(client.clientOptions.initializationOptions, {
    debounceMs: 100,
    exclude: ['build/**'],
    maxFileSize: 500_000,
    embedding: { enabled: false },
  });
  await until(() => session.api.statusText() === IDLE, 'idle again');
  // The new server got the folder's index lock: it is not read-only.
  assert.equal(starts(), started + 1);
  assert.equal(runningServers().length, 1);
});

test('the trace setting applies without a restart', async () => {
  const client = session.api.languageClient();
  fake.config.set('kenning.trace.server', 'messages');
  await new Promise((resolve) => setTimeout(resolve, 700));
  assert.equal(session.api.languageClient(), client);
  await fake.executeCommand('kenning.showStatus');
  fake.lastQuickPick()!.hide();
  const trace = fake.outputChannels.find((c) => c.name === 'Kenning Trace')!;
  assert.ok(trace.lines.some((l) => l.includes("Sending request 'kenning/status")), trace.text());
  fake.config.set('kenning.trace.server', undefined);
});

test('Restart Server starts a new server', async () => {
  const client = session.api.languageClient();
  await fake.executeCommand('kenning.restartServer');
  const now = session.api.languageClient();
  assert.ok(now !== client && now?.isRunning());
  await until(() => session.api.statusText() === IDLE, 'idle after the restart');
  assert.equal(runningServers().length, 1);
});

test('a server that crashes is restarted by the client', async () => {
  const [pid] = runningServers();
  process.kill(pid, 'SIGKILL');
  await until(() => {
    const now = runningServers();
    return now.length === 1 && now[0] !== pid;
  }, 'a new server process');
  await until(() => session.api.statusText() === IDLE, 'idle after the crash');
});

test('a server that exits while starting: failed, told once, not restarted', async () => {
  const messages = fake.messages.length;
  const script = 'import sys; sys.stderr.write("no kenning here\\n"); sys.exit(3)';
  fake.config.set('kenning.server.command', [PYTHON, '-c', script]);
  await until(() => session.api.statusText() === '$(error) kenning: failed', 'the status bar to say failed');
  const shown = fake.messages.slice(messages).map((m) => `${m.level}: ${m.message}`);
  assert.deepEqual(shown, ["error: Kenning client: couldn't create connection to server."]);
  assert.match(fake.outputChannels[0].text(), /no kenning here/);
  assert.match(fake.statusBarItems[0].tooltip ?? '', /exited while starting \(code 3\); see the Kenning output/);
  const started = starts();
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(starts(), started);
  assert.deepEqual(runningServers(), []);
});

test('a command that does not exist: the user is told what to set; commands fail visibly', async () => {
  const messages = fake.messages.length;
  fake.config.set('kenning.server.command', ['/nonexistent/kenning', 'serve']);
  const error = await until(() => fake.messages.slice(messages).find((m) => m.level === 'error'), 'an error');
  assert.equal(session.api.statusText(), '$(error) kenning: failed');
  assert.equal(
    error.message,
    'Kenning: the server could not start: /nonexistent/kenning was not found: set kenning.server.command',
  );
  assert.deepEqual(error.items, ['Open Settings']);
  assert.equal(runningServers().length, 0);

  await fake.executeCommand('kenning.searchCode', 'registry');
  const pick = fake.lastQuickPick()!;
  assert.equal(pick.items[0].label, '$(error) Search failed');
  assert.match(pick.items[0].detail!, /the kenning server is not running: .*kenning\.server\.command/);
  pick.hide();

  const reindex = await fake.executeCommand('kenning.reindexWorkspace');
  assert.equal(reindex, undefined);
  assert.match(fake.messages.at(-1)!.message, /^Kenning: kenning\.reindex failed: the kenning server is not running/);
});

test('fixing the command brings the server back', async () => {
  fake.config.set('kenning.server.command', [PYTHON, '-m', 'kenning', 'serve']);
  await until(() => session.api.statusText() === IDLE, 'idle again');
});

test('deactivation stops the server process', async () => {
  assert.equal(runningServers().length, 1);
  await session.stop();
  assert.deepEqual(runningServers(), []);
  assert.equal(session.api.statusText(), '$(circle-slash) kenning: stopped');
});
