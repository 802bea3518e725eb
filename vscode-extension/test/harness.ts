/**
 * Runs the packaged extension (`out/extension.js`, the esbuild bundle that ships) in
 * plain Node against the real `kenning serve`: `require('vscode')` is answered by the
 * fake of `fake/vscode.ts`, the workspace is a fresh copy of the server tests' small
 * project, and `kenning.server.command` runs the interpreter under test.
 *
 * Environment (set by `tests/clients/test_vscode_fast.py`): `KENNING_PYTHON`, the
 * interpreter that runs `-m kenning serve` (default: the repository's .venv);
 * `KENNING_TEST_PROJECT`, a project made by `tests/server/conftest.py:make_project` to
 * copy (default: one is made with that function); `KENNING_TEST_TMP`, where the copies
 * go (default: the OS's temporary folder).
 */

import * as cp from 'child_process';
import * as fs from 'fs';
import Module from 'module';
import * as os from 'os';
import * as path from 'path';

import type * as vscode from 'vscode';

import type { KenningApi } from '../src/extension';
import { Fake } from './fake/vscode';

export { until } from './fake/vscode';

const EXTENSION_ROOT = path.resolve(__dirname, '..', '..');
const REPO = path.resolve(EXTENSION_ROOT, '..');
export const BUNDLE = path.join(EXTENSION_ROOT, 'out', 'extension.js');

export const fake = new Fake(path.join(EXTENSION_ROOT, 'package.json'));
const Position = fake.module.Position as typeof vscode.Position;
const Range = fake.module.Range as typeof vscode.Range;

// `require('vscode')` from anywhere (the bundle, the compiled sources) gets the fake.
const moduleInternals = Module as unknown as {
  _resolveFilename(request: string, ...rest: unknown[]): string;
};
const resolve = moduleInternals._resolveFilename.bind(Module);
moduleInternals._resolveFilename = (request: string, ...rest: unknown[]) =>
  request === 'vscode' ? 'vscode' : resolve(request, ...rest);
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: fake.module } as NodeJS.Module;

export const PYTHON = process.env.KENNING_PYTHON ?? path.join(REPO, '.venv', 'bin', 'python');
// The server under test is this checkout's, whatever the interpreter has installed.
process.env.PYTHONPATH = process.env.PYTHONPATH ?? path.join(REPO, 'daemon');
process.env.HF_HUB_OFFLINE = process.env.HF_HUB_OFFLINE ?? '1';

/** Settings for most tests: no embeddings (fast), a short debounce. */
export const FAST = { 'kenning.embedding.enabled': false, 'kenning.debounceMs': 50 };

/** A fresh copy of the test project; returns its root. */
export function makeProject(name = 'project'): string {
  const tmp = fs.mkdtempSync(path.join(process.env.KENNING_TEST_TMP ?? os.tmpdir(), 'kenning-vscode-'));
  const root = path.join(tmp, name);
  const template = process.env.KENNING_TEST_PROJECT;
  if (template) {
    fs.cpSync(template, root, { recursive: true, filter: (src) => path.basename(src) !== '.kenning' });
  } else {
    const script =
      'import sys; from pathlib import Path; sys.path[:0] = [sys.argv[2]];' +
      'from server.conftest import make_project; make_project(Path(sys.argv[1]))';
    cp.execFileSync(PYTHON, ['-c', script, root, path.join(REPO, 'tests')], { stdio: 'inherit' });
  }
  return root;
}

export interface Session {
  api: KenningApi;
  root: string;
  uri(rel: string): string;
  /** Opens a file of the project in the active editor, the cursor at line:character. */
  open(rel: string, line?: number, character?: number): Promise<void>;
  stop(): Promise<void>;
}

interface ExtensionModule {
  activate(context: unknown): KenningApi;
  deactivate(): Promise<void>;
}

function memento() {
  const values = new Map<string, unknown>();
  return {
    keys: () => [...values.keys()],
    get: (key: string, fallback?: unknown) => (values.has(key) ? values.get(key) : fallback),
    update: (key: string, value: unknown) => {
      values.set(key, value);
      return Promise.resolve();
    },
    setKeysForSync: () => undefined,
  };
}

/** Activates the extension on a fresh project with these user settings. */
export function activate(settings: Record<string, unknown> = FAST, root = makeProject()): Session {
  fake.setFolders([root]);
  fake.config.set('kenning.server.command', [PYTHON, '-m', 'kenning', 'serve']);
  for (const [key, value] of Object.entries(settings)) {
    fake.config.set(key, value);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const extension = require(BUNDLE) as ExtensionModule;
  const subscriptions: { dispose(): unknown }[] = [];
  const context = {
    subscriptions,
    extensionPath: EXTENSION_ROOT,
    extensionUri: { fsPath: EXTENSION_ROOT },
    globalState: memento(),
    workspaceState: memento(),
    asAbsolutePath: (rel: string) => path.join(EXTENSION_ROOT, rel),
    extensionMode: 3,
  };
  const api = extension.activate(context);
  return {
    api,
    root,
    uri: (rel: string) => `file://${path.join(root, rel)}`,
    open: async (rel: string, line = 0, character = 0) => {
      const document = await fake.openTextDocument(path.join(root, rel));
      const at = new Position(line, character);
      await fake.showTextDocument(document, { selection: new Range(at, at) });
    },
    stop: async () => {
      await extension.deactivate();
      for (const disposable of subscriptions) {
        disposable.dispose();
      }
    },
  };
}

/** The server's PIDs are children of this process: the ones still running. */
export function runningServers(): number[] {
  const out = cp.execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes('kenning serve'))
    .map((line) => Number.parseInt(line.trim(), 10));
}
