/**
 * The extension's settings, read once per server start: how to launch the server
 * (`kenning.server.*`) and the server's own settings tree (every other `kenning.*`
 * key but `kenning.trace.server`), which goes to the server as `initializationOptions`.
 *
 * Only the values a user actually set are sent: the defaults belong to the server,
 * which validates the tree and warns about bad values itself (docs/server.md). The
 * functions here take plain values, not VS Code objects, so tests need no editor.
 */

import * as os from 'os';

export const SECTION = 'kenning';

/**
 * The server's settings as VS Code keys under `kenning.`: each dotted key is also the
 * path in the server's camelCase tree (`embedding.batchSize` -> `{embedding: {batchSize}}`).
 * `tests/clients/test_vscode_fast.py` checks this list against the server's `Settings`.
 */
export const SERVER_SETTINGS = [
  'indexDir',
  'exclude',
  'maxFileSize',
  'parseWorkers',
  'bulkThreshold',
  'debounceMs',
  'writeBehindMs',
  'requestTimeoutMs',
  'callHierarchyMinConfidence',
  'embedding.enabled',
  'embedding.model',
  'embedding.threads',
  'embedding.optimize',
  'embedding.batchTokens',
  'embedding.batchSize',
  'embedding.maxAttempts',
  'embedding.gcGraceSeconds',
  'embedding.switchThreshold',
] as const;

/** The settings that launch the server; a change to them or to a server setting restarts it. */
export const LAUNCH_SETTINGS = ['server.command', 'server.env'] as const;
export const DEFAULT_COMMAND = ['kenning', 'serve'];

/** What `WorkspaceConfiguration.inspect()` says about one key (the parts used here). */
export interface Inspected {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/** Reads one key (relative to `kenning.`) as `inspect()` would. */
export type Inspect = (key: string) => Inspected | undefined;

export interface Launch {
  command: string;
  args: string[];
  /** Added to the extension host's environment. */
  env: Record<string, string>;
}

export interface ServerConfig {
  launch: Launch;
  initializationOptions: Record<string, unknown>;
}

/** A setting the extension cannot use; the message names it and says why. */
export class SettingsError extends Error {}

/** The value the user set for a key, the most specific scope winning; undefined if none. */
export function userValue(inspected: Inspected | undefined): unknown {
  if (inspected === undefined) {
    return undefined;
  }
  return inspected.workspaceFolderValue ?? inspected.workspaceValue ?? inspected.globalValue;
}

/** The server's settings tree from the keys the user set, nested by their dots. */
export function initializationOptions(inspect: Inspect): Record<string, unknown> {
  const tree: Record<string, unknown> = {};
  for (const key of SERVER_SETTINGS) {
    const value = userValue(inspect(key));
    if (value === undefined) {
      continue;
    }
    const path = key.split('.');
    let node = tree;
    for (const part of path.slice(0, -1)) {
      const child = node[part];
      node = (typeof child === 'object' && child !== null ? child : (node[part] = {})) as Record<
        string,
        unknown
      >;
    }
    node[path[path.length - 1]] = value;
  }
  return tree;
}

/** Variables a command may use: `${workspaceFolder}` (the first folder), `${userHome}`. */
export interface Variables {
  workspaceFolder?: string;
  userHome?: string;
}

export function expand(value: string, vars: Variables): string {
  const home = vars.userHome ?? os.homedir();
  let out = value.replace(/\$\{userHome\}/g, home);
  if (vars.workspaceFolder !== undefined) {
    out = out.replace(/\$\{workspaceFolder\}/g, vars.workspaceFolder);
  }
  if (out === '~' || out.startsWith('~/')) {
    out = home + out.slice(1);
  }
  return out;
}

/** How to start the server, from `kenning.server.command` and `kenning.server.env`. */
export function launch(inspect: Inspect, vars: Variables = {}): Launch {
  const command = userValue(inspect('server.command')) ?? DEFAULT_COMMAND;
  if (
    !Array.isArray(command) ||
    command.length === 0 ||
    !command.every((part): part is string => typeof part === 'string' && part !== '')
  ) {
    throw new SettingsError(
      `kenning.server.command must be a command and its arguments, e.g. ["kenning", "serve"]; ` +
        `got ${JSON.stringify(command)}`,
    );
  }
  const rawEnv = userValue(inspect('server.env')) ?? {};
  if (typeof rawEnv !== 'object' || rawEnv === null || Array.isArray(rawEnv)) {
    throw new SettingsError(`kenning.server.env must be an object of strings; got ${JSON.stringify(rawEnv)}`);
  }
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(rawEnv as Record<string, unknown>)) {
    if (typeof value !== 'string') {
      throw new SettingsError(`kenning.server.env.${name} must be a string; got ${JSON.stringify(value)}`);
    }
    env[name] = expand(value, vars);
  }
  const [program, ...args] = command.map((part) => expand(part, vars));
  return { command: program, args, env };
}

export function serverConfig(inspect: Inspect, vars: Variables = {}): ServerConfig {
  return { launch: launch(inspect, vars), initializationOptions: initializationOptions(inspect) };
}

/** Whether a configuration change needs the server restarted (everything but the trace). */
export function affectsServer(affects: (section: string) => boolean): boolean {
  return [...LAUNCH_SETTINGS, ...SERVER_SETTINGS].some((key) => affects(`${SECTION}.${key}`));
}
