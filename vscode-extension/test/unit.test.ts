/**
 * The parts that need no server: settings to `initializationOptions` and a launch
 * command, the status bar's rendering, the quick picks' items, and package.json's
 * side of the contract (command ids and titles, activation, settings).
 */

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';

import './harness';

import { COMMAND_IDS } from '../src/commands';
import { impactItems, impactTitle } from '../src/commands/impact';
import { hitItem, oneLine, title } from '../src/commands/search';
import { FolderStatus, ImpactResult, SearchHit, StatusResult } from '../src/protocol';
import {
  DEFAULT_COMMAND,
  Inspected,
  LAUNCH_SETTINGS,
  SERVER_SETTINGS,
  SettingsError,
  affectsServer,
  expand,
  initializationOptions,
  launch,
} from '../src/settings';
import { CloseAction } from 'vscode-languageclient/node';

import { CrashPolicy } from '../src/server';
import { folderName, render } from '../src/status';
import { fake } from './harness';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  name: string;
  publisher: string;
  displayName: string;
  main: string;
  engines: { vscode: string };
  activationEvents: string[];
  contributes: {
    commands: { command: string; title: string; category: string }[];
    configuration: { properties: Record<string, { default?: unknown }> };
  };
};

/** An `inspect` over user values keyed like `debounceMs` or `embedding.enabled`. */
function inspectOf(values: Record<string, unknown>): (key: string) => Inspected | undefined {
  return (key) => ({ globalValue: values[key] });
}

describe('settings', () => {
  test('only the settings the user set reach the server, nested by their dots', () => {
    const options = initializationOptions(
      inspectOf({ debounceMs: 50, 'embedding.enabled': false, 'embedding.batchSize': 2, exclude: ['build/**'] }),
    );
    assert.deepEqual(options, { debounceMs: 50, exclude: ['build/**'], embedding: { enabled: false, batchSize: 2 } });
    assert.deepEqual(initializationOptions(inspectOf({})), {});
  });

  test('the most specific scope wins', () => {
    const options = initializationOptions((key) =>
      key === 'debounceMs' ? { globalValue: 10, workspaceValue: 20, workspaceFolderValue: 30 } : undefined,
    );
    assert.deepEqual(options, { debounceMs: 30 });
  });

  test('the launch command is split into program and arguments, variables expanded', () => {
    const got = launch(
      inspectOf({ 'server.command': ['~/venv/bin/python', '-m', 'kenning', 'serve', '--log-file', '${workspaceFolder}/k.log'], 'server.env': { A: '${userHome}/x' } }),
      { workspaceFolder: '/ws', userHome: '/home/u' },
    );
    assert.deepEqual(got, {
      command: '/home/u/venv/bin/python',
      args: ['-m', 'kenning', 'serve', '--log-file', '/ws/k.log'],
      env: { A: '/home/u/x' },
    });
    assert.deepEqual(launch(inspectOf({})), { command: DEFAULT_COMMAND[0], args: DEFAULT_COMMAND.slice(1), env: {} });
  });

  test('a bad launch setting is refused with a message naming it', () => {
    for (const bad of [[], 'kenning serve', ['kenning', 3]]) {
      assert.throws(() => launch(inspectOf({ 'server.command': bad })), (e: Error) => {
        assert.ok(e instanceof SettingsError);
        assert.match(e.message, /kenning\.server\.command/);
        return true;
      });
    }
    assert.throws(() => launch(inspectOf({ 'server.env': { A: 1 } })), /kenning\.server\.env\.A/);
  });

  test('expand leaves other text alone', () => {
    assert.equal(expand('a~b/${other}', { userHome: '/h' }), 'a~b/${other}');
    assert.equal(expand('~', { userHome: '/h' }), '/h');
  });

  test('server and launch settings restart the server; the trace does not', () => {
    const changed = (key: string) => (section: string) => section === key || key.startsWith(`${section}.`);
    assert.ok(affectsServer(changed('kenning.server.command')));
    assert.ok(affectsServer(changed('kenning.embedding.batchSize')));
    assert.ok(!affectsServer(changed('kenning.trace.server')));
    assert.ok(!affectsServer(changed('python.analysis')));
  });
});

function status(overrides: Partial<StatusResult> = {}, folders: Partial<FolderStatus>[] = [{}]): StatusResult {
  const counts = { files: 3, symbols: 5, chunks: 7, embedded: 7, pending: 0, failed: 0, throughput: 0 };
  return {
    phase: 'idle',
    health: 'ok',
    message: 'project: 3 files, 5 symbols',
    ...counts,
    folders: folders.map((f) => ({
      phase: 'idle',
      health: 'ok',
      message: 'project: 3 files, 5 symbols, 7/7 texts embedded',
      ...counts,
      uri: 'file:///tmp/my%20project',
      embeddingPaused: false,
      readOnly: false,
      ...f,
    })),
    ...overrides,
  };
}

describe('status bar', () => {
  test('each phase has its text, always "kenning: ..." after an optional codicon', () => {
    const cases: [ReturnType<typeof render>, string][] = [
      [render('starting', undefined), '$(sync~spin) kenning: starting'],
      [render('running', undefined), '$(sync~spin) kenning: starting'],
      [render('stopped', undefined), '$(circle-slash) kenning: stopped'],
      [render('failed', undefined, 'nope'), '$(error) kenning: failed'],
      [render('running', status({ phase: 'indexing' })), '$(sync~spin) kenning: indexing'],
      [
        render('running', status({ phase: 'embedding', embedded: 1234, pending: 4444, failed: 0 })),
        '$(database) kenning: 1,234/5,678 embedded',
      ],
      [
        render('running', status({ phase: 'embedding', embedded: 0, pending: 0 })),
        '$(database) kenning: preparing embeddings',
      ],
      [render('running', status()), '$(database) kenning: idle'],
      [render('running', status({ phase: 'read-only', health: 'warning' })), '$(lock) kenning: read-only'],
      [render('running', status({ phase: 'error', health: 'error' })), '$(error) kenning: error'],
      [
        render('running', status({ phase: 'idle', embedded: 2, pending: 5 }, [{ embeddingPaused: true, pending: 5 }])),
        '$(debug-pause) kenning: 2/7 embedded, paused',
      ],
    ];
    for (const [view, text] of cases) {
      assert.equal(view.text, text);
      assert.match(view.text, /^(\$\([\w~-]+\) )?kenning: /);
    }
  });

  test('the tooltip has each folder with its counts', () => {
    const view = render('running', status({}, [{ failed: 1, embedded: 6, throughput: 12.34 }]));
    assert.match(view.tooltip, /^kenning: idle — project: 3 files, 5 symbols/);
    assert.match(view.tooltip, /my project: idle, project: 3 files/);
    assert.match(view.tooltip, /3 files, 5 symbols, 7 chunks, 6\/7 embedded, 1 failed, 12\.3 texts\/s/);
  });

  test('without texts to embed (embedding off) the tooltip leaves embedding out', () => {
    const view = render('running', status({}, [{ embedded: 0, pending: 0 }]));
    assert.match(view.tooltip, /\n {2}3 files, 5 symbols, 7 chunks\n/);
  });

  test('health colours the background', () => {
    assert.equal(render('running', status()).background, undefined);
    assert.equal(render('running', status({ health: 'warning' })).background, 'warning');
    assert.equal(render('running', status({ health: 'error', phase: 'error' })).background, 'error');
    assert.equal(render('failed', undefined).background, 'error');
    assert.match(render('failed', undefined, 'python was not found').tooltip, /python was not found/);
  });

  test('folder names come from the URI, decoded', () => {
    assert.equal(folderName('file:///tmp/my%20project/'), 'my project');
  });
});

describe('quick pick items', () => {
  const range = { start: { line: 3, character: 0 }, end: { line: 7, character: 0 } };
  fake.setFolders(['/ws']);

  test('a search hit shows its symbol, path:line and snippet', () => {
    const hit: SearchHit = {
      uri: 'file:///ws/pkg/core.py',
      range,
      symbol: 'pkg.core.resolve_target',
      symbolId: 'pkg/core.py#resolve_target',
      kind: 'function',
      language: 'python',
      snippet: 'def resolve_target(name):\n    """Find where a call goes."""\n\n    return name.upper()',
      score: 0.5,
      sources: ['text'],
    };
    const item = hitItem(hit);
    assert.equal(item.label, 'pkg.core.resolve_target');
    assert.equal(item.description, 'pkg/core.py:4');
    assert.equal(item.detail, 'def resolve_target(name):  """Find where a call goes."""  return name.upper()');
    assert.equal(item.alwaysShow, true);
    assert.equal(oneLine('  a\n\n  b  '), 'a  b');
  });

  test('the search title says when results are partial', () => {
    const result = { query: 'q', hits: [], vectorsComplete: true, vectorCoverage: 1 };
    assert.equal(title(result), 'Kenning: Search Code');
    assert.equal(
      title({ ...result, vectorsComplete: false, vectorCoverage: 0.4, note: 'model failed' }),
      'Kenning: Search Code (semantic search covers 40% of the code so far; model failed)',
    );
  });

  test('impact callers are grouped by file, with their distance', () => {
    const node = (qualname: string) => ({
      id: qualname,
      name: qualname,
      qualname,
      kind: 'function',
      uri: 'file:///ws/a.py',
      range,
      selectionRange: range,
    });
    const result: ImpactResult = {
      root: node('a.root'),
      depth: 3,
      totalCallers: 3,
      minConfidence: 0,
      files: [
        { uri: 'file:///ws/a.py', callers: [{ symbol: node('a.f'), distance: 1, callSites: [range, range], resolution: 'import', confidence: 0.95 }] },
        { uri: 'file:///ws/b.py', callers: [{ symbol: node('b.g'), distance: 2, callSites: [], resolution: 'self', confidence: 0.85 }] },
      ],
      candidates: [
        { uri: 'file:///ws/c.py', callers: [{ symbol: node('c.h'), distance: 1, callSites: [range], resolution: 'candidate', confidence: 0.1 }] },
      ],
    };
    const items = impactItems(result).map((i) => [(i.kind as number | undefined) === -1 ? 'separator' : 'item', i.label, i.description, i.detail]);
    assert.deepEqual(items, [
      ['separator', 'a.py', undefined, undefined],
      ['item', 'a.f', 'calls it directly · import 0.95', 'a.py:4 (+1 more call sites)'],
      ['separator', 'b.py', undefined, undefined],
      ['item', 'b.g', 'distance 2 · self 0.85', 'b.py:4'],
      ['separator', 'candidates: c.py', undefined, undefined],
      ['item', 'c.h', 'calls it directly · candidate 0.10', 'c.py:4'],
    ]);
    assert.equal(impactTitle(result), 'Impact of a.root: 3 caller(s) in 2 file(s), depth 3');
  });
});

describe('crash policy', () => {
  test('a server that never ran is not restarted, and the client says nothing more', () => {
    assert.deepEqual(new CrashPolicy().closed(), { action: CloseAction.DoNotRestart, handled: true });
  });

  test('a server that ran is restarted four times in three minutes, then left stopped', () => {
    let now = 0;
    const policy = new CrashPolicy(() => now);
    policy.running();
    const actions = [];
    for (let i = 0; i < 5; i++) {
      now += 1000;
      actions.push(policy.closed().action);
    }
    const { Restart, DoNotRestart } = CloseAction;
    assert.deepEqual(actions, [Restart, Restart, Restart, Restart, DoNotRestart]);
    assert.match(policy.closed().message ?? '', /Kenning: Restart Server/);
    now += 4 * 60_000;
    assert.equal(policy.closed().action, CloseAction.Restart);
  });
});

describe('package.json', () => {
  test('identity and activation follow the contract', () => {
    assert.equal(`${manifest.publisher}.${manifest.name}`, 'kenning.kenning');
    assert.equal(manifest.displayName, 'Kenning');
    assert.equal(manifest.engines.vscode, '^1.96.0');
    assert.equal(manifest.main, './out/extension.js');
    for (const event of ['onLanguage:python', 'workspaceContains:**/*.py']) {
      assert.ok(manifest.activationEvents.includes(event), event);
    }
  });

  test('every command is contributed with its palette title and activates the extension', () => {
    const titles = Object.fromEntries(manifest.contributes.commands.map((c) => [c.command, `${c.category}: ${c.title}`]));
    assert.deepEqual(titles, {
      'kenning.searchCode': 'Kenning: Search Code',
      'kenning.showCallers': 'Kenning: Show Callers',
      'kenning.showCallees': 'Kenning: Show Callees',
      'kenning.showImpact': 'Kenning: Show Impact',
      'kenning.reindexWorkspace': 'Kenning: Reindex Workspace',
      'kenning.reindexFile': 'Kenning: Reindex File',
      'kenning.embedding.pause': 'Kenning: Pause Embedding',
      'kenning.embedding.resume': 'Kenning: Resume Embedding',
      'kenning.showStatus': 'Kenning: Show Status',
      'kenning.restartServer': 'Kenning: Restart Server',
      'kenning.showOutput': 'Kenning: Show Output',
    });
    assert.deepEqual(Object.values(COMMAND_IDS).sort(), Object.keys(titles).sort());
    for (const id of Object.keys(titles)) {
      assert.ok(manifest.activationEvents.includes(`onCommand:${id}`), id);
      // The server's own command ids are registered by vscode-languageclient.
      assert.ok(!['kenning.reindex', 'kenning.pauseEmbedding', 'kenning.resumeEmbedding'].includes(id));
    }
  });

  test('the settings are the launch settings, the trace and the server tree', () => {
    const keys = Object.keys(manifest.contributes.configuration.properties).sort();
    const expected = [...LAUNCH_SETTINGS, 'trace.server', ...SERVER_SETTINGS].map((k) => `kenning.${k}`).sort();
    assert.deepEqual(keys, expected);
    assert.deepEqual(manifest.contributes.configuration.properties['kenning.server.command'].default, DEFAULT_COMMAND);
  });
});
