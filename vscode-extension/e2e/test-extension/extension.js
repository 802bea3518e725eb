/**
 * kenning's end-to-end probe: a test-only extension that runs inside a real VS Code
 * (code-server) beside the kenning extension, drives it through the public VS Code API
 * as a user's keystrokes would, and writes what it saw as JSON to the file named by
 * the environment variable KENNING_E2E_OUT. tests/clients/test_vscode_e2e.py starts the
 * editor and asserts on that file; nothing is asserted here.
 *
 * Each step records `{result, ms}` or `{error, ms}`: a failing or hanging step never
 * stops the ones after it. After every step the findings so far are written to
 * `$KENNING_E2E_OUT.partial`, so a session that runs out of time still shows where.
 * The fixture project is the server tests' (tests/server/conftest.py:make_project).
 */
'use strict';

const fs = require('fs');
const path = require('path');
const vscode = require('vscode');

const OUT = process.env.KENNING_E2E_OUT;
const EXTENSION_ID = 'kenning.kenning';
// Long enough for the first index of the fixture project on a busy 2-core machine;
// the driver's own timeout for the whole session is longer.
const STEP_TIMEOUT_MS = 30000;
const IDLE_TIMEOUT_MS = 60000;
// The docstring of pkg.core.resolve_target, reworded a little.
const SEARCH_QUERY = 'Find where a call goes by looking the name up in the registry';
// `def resolve_target(name):` in pkg/core.py and `def main():` in pkg/app.py (0-based).
const RESOLVE_TARGET = { file: 'pkg/core.py', line: 3, character: 4 };
const MAIN = { file: 'pkg/app.py', line: 3, character: 4 };

// The status item once all is done: idle, or all chunks embedded ("kenning: 7/7 embedded").
const IDLE_TEXT = /kenning: (idle|(\d+)\/\2 embedded)/;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves to true once `predicate()` (which may be async) is truthy, false after `ms`. */
async function until(predicate, ms, every = 200) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await predicate()) return true;
    } catch {
      // A predicate that throws (the client not there yet, say) counts as false.
    }
    if (Date.now() >= deadline) return false;
    await sleep(every);
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function errorText(error) {
  return error && error.stack ? String(error.stack) : String(error);
}

/** Plain, JSON-ready views of VS Code's API objects (they do not serialise as-is). */
const plain = {
  position: (p) => ({ line: p.line, character: p.character }),
  range: (r) => ({ start: plain.position(r.start), end: plain.position(r.end) }),
  item: (item) => ({
    name: item.name,
    detail: item.detail,
    kind: item.kind,
    path: relative(item.uri),
    range: plain.range(item.range),
    selectionRange: plain.range(item.selectionRange),
  }),
};

function root() {
  const folders = vscode.workspace.workspaceFolders || [];
  if (folders.length === 0) throw new Error('no workspace folder is open');
  return folders[0].uri;
}

/** A URI as a path relative to the workspace folder, with forward slashes. */
function relative(uri) {
  return path.relative(root().fsPath, uri.fsPath).split(path.sep).join('/');
}

function fileUri(file) {
  return vscode.Uri.joinPath(root(), ...file.split('/'));
}

/** Opens `place.file` in an editor with the cursor at `place` (line, character). */
async function showAt(place) {
  const document = await vscode.workspace.openTextDocument(fileUri(place.file));
  const at = new vscode.Position(place.line || 0, place.character || 0);
  return vscode.window.showTextDocument(document, { selection: new vscode.Range(at, at) });
}

function activeEditor() {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return null;
  return { path: relative(editor.document.uri), ...plain.position(editor.selection.active) };
}

class Probe {
  constructor(out) {
    this.out = out;
    this.findings = { started: new Date().toISOString(), steps: {}, order: [] };
    this.exports = undefined;
  }

  /** Runs one step, recording its result or its error, never throwing. */
  async step(name, body, timeoutMs = STEP_TIMEOUT_MS) {
    const started = Date.now();
    let finding;
    try {
      const result = await withTimeout(Promise.resolve().then(body), timeoutMs, name);
      finding = { result: result === undefined ? null : result };
    } catch (error) {
      finding = { error: errorText(error) };
    }
    finding.ms = Date.now() - started;
    this.findings.steps[name] = finding;
    this.findings.order.push(name);
    this.write(`${this.out}.partial`);
    // Whatever a step left open (a quick pick, a peek) must not swallow the next one's
    // keystrokes.
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen').then(
      () => undefined,
      () => undefined,
    );
    return finding;
  }

  write(file) {
    // Written whole, then renamed: the driver never reads half a file.
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(this.findings, null, 2));
    fs.renameSync(`${file}.tmp`, file);
  }

  client() {
    const client = this.exports && this.exports.languageClient();
    if (!client) throw new Error('languageClient() returned nothing');
    return client;
  }

  statusText() {
    return this.exports.statusText();
  }

  /** The server's own status (kenning/status) through the extension's client. */
  serverStatus() {
    return this.client().sendRequest('kenning/status', {});
  }

  /** Waits until the client runs and the server reports idle (with `embedded`, also
   * every chunk embedded and nothing paused: a paused folder reports idle too); returns
   * what it saw. */
  async waitIdle({ embedded = false } = {}) {
    const texts = [];
    let status = null;
    const idle = await until(async () => {
      const text = this.statusText();
      if (texts[texts.length - 1] !== text) texts.push(text);
      const client = this.client();
      if (!client.isRunning()) return false;
      status = await client.sendRequest('kenning/status', {});
      if (status.phase !== 'idle') return false;
      if (!embedded) return true;
      const paused = status.folders.some((folder) => folder.embeddingPaused);
      // Nothing left to embed (texts are counted, chunks and descriptions alike).
      return !paused && status.pending === 0 && status.embedded + status.failed > 0;
    }, IDLE_TIMEOUT_MS);
    // The status item follows the server's notifications: give the last one a moment.
    await until(() => IDLE_TEXT.test(this.statusText()), 5000);
    const text = this.statusText();
    if (texts[texts.length - 1] !== text) texts.push(text);
    return { idle, status, texts, statusText: text };
  }

  async callers(place) {
    const uri = fileUri(place.file);
    const at = new vscode.Position(place.line, place.character);
    const items = await vscode.commands.executeCommand('vscode.prepareCallHierarchy', uri, at);
    const prepared = (items || []).map(plain.item);
    if (!items || items.length === 0) return { prepared, incoming: [] };
    const calls = await vscode.commands.executeCommand('vscode.provideIncomingCalls', items[0]);
    const incoming = (calls || []).map((call) => ({
      from: plain.item(call.from),
      fromRanges: call.fromRanges.map(plain.range),
    }));
    return { prepared, incoming };
  }

  async run(steps) {
    this.findings.env = {
      KENNING_E2E_OUT: OUT,
      KENNING_E2E_STEPS: steps.join(','),
      pid: process.pid,
    };
    for (const name of steps) {
      const step = STEPS[name];
      if (!step) {
        this.findings.steps[name] = { error: `no step named ${name}` };
        continue;
      }
      await this.step(name, () => step.body(this), step.timeoutMs);
      // Without the extension's API nothing after activation can run.
      if (name === 'activate' && !this.exports) break;
    }
    this.findings.finished = new Date().toISOString();
  }
}

// The call hierarchy view belongs to the built-in references-view extension: it
// activates when the view is first asked for, and its API (`getInput()`) hands out
// what the view shows.
function referencesView() {
  const extension = vscode.extensions.getExtension('vscode.references-view');
  return extension && extension.isActive ? extension.exports : undefined;
}

/** What the references view shows: its title, and each root with its children. */
async function referencesViewContent(input) {
  const content = {
    title: input.title,
    location: { path: relative(input.location.uri), ...plain.position(input.location.range.start) },
    roots: [],
  };
  const model = await input.resolve();
  if (!model) return content;
  try {
    for (const root of (await model.provider.getChildren(undefined)) || []) {
      const children = (await model.provider.getChildren(root)) || [];
      content.roots.push({
        name: root.item ? root.item.name : null,
        children: children.map((child) => (child.item ? child.item.name : null)),
      });
    }
  } finally {
    if (model.dispose) model.dispose();
  }
  return content;
}

async function showCallHierarchy(command, place) {
  await showAt(place);
  const view = referencesView();
  const before = view ? view.getInput() : undefined;
  const value = await vscode.commands.executeCommand(command);
  // Setting the view's input is asynchronous: wait for the new one.
  const shown = await until(() => referencesView() && referencesView().getInput() !== before, 5000);
  const input = shown ? referencesView().getInput() : undefined;
  return {
    value: value === undefined ? null : value,
    referencesViewActive: Boolean(referencesView()),
    view: input ? await referencesViewContent(input) : null,
    editor: activeEditor(),
  };
}

/** The steps, by name; KENNING_E2E_STEPS picks which run, in which order. */
const STEPS = {
  activate: {
    async body(probe) {
      const present = await until(() => vscode.extensions.getExtension(EXTENSION_ID), 20000);
      if (!present) throw new Error(`${EXTENSION_ID} is not installed`);
      const extension = vscode.extensions.getExtension(EXTENSION_ID);
      const activeBefore = extension.isActive;
      // Opening a Python file is what activates kenning for a user (onLanguage:python).
      await showAt({ file: RESOLVE_TARGET.file });
      probe.exports = await extension.activate();
      return {
        activeBefore,
        active: extension.isActive,
        version: extension.packageJSON.version,
        exports: Object.keys(probe.exports || {}).sort(),
        statusText: probe.exports && probe.exports.statusText(),
      };
    },
  },

  idle: { body: (probe) => probe.waitIdle(), timeoutMs: IDLE_TIMEOUT_MS + 10000 },

  client: {
    body(probe) {
      const client = probe.client();
      const result = client.initializeResult || {};
      return {
        running: client.isRunning(),
        serverInfo: result.serverInfo || null,
        callHierarchyProvider: Boolean((result.capabilities || {}).callHierarchyProvider),
      };
    },
  },

  search: {
    async body(probe) {
      // The same request as the pick's (its limit is 50), so the same first hit.
      const direct = await probe.client().sendRequest('kenning/search', {
        query: SEARCH_QUERY,
        limit: 50,
      });
      const hitPlaces = (result) =>
        result.hits.map((hit) => ({
          symbol: hit.symbol,
          path: relative(vscode.Uri.parse(hit.uri)),
          line: hit.range.start.line,
          character: hit.range.start.character,
          sources: hit.sources,
        }));
      const hits = hitPlaces(direct);
      // Start from another file so that arriving at the hit is a visible change.
      await showAt(MAIN);
      const from = activeEditor();
      let command = 'pending';
      const running = vscode.commands.executeCommand('kenning.searchCode', SEARCH_QUERY).then(
        (value) => {
          const isResult = value && Array.isArray(value.hits);
          command = { resolved: isResult ? { hits: hitPlaces(value) } : (value ?? null) };
        },
        (error) => (command = { error: errorText(error) }),
      );
      // kenning's command resolves once the pick holds the results; give any other a
      // moment. Then accept the pick's first (selected) item as Enter would, again
      // while nothing opened: the items reach the workbench a little after the command
      // resolves (the extension host batches quick pick updates), and an empty pick
      // ignores Enter.
      await Promise.race([running, sleep(5000)]);
      await sleep(300);
      let accepts = 0;
      let arrived = false;
      const deadline = Date.now() + 15000;
      while (!arrived && Date.now() < deadline) {
        accepts += 1;
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        arrived = await until(() => activeEditor() && activeEditor().path !== from.path, 1000);
      }
      await sleep(200);
      return {
        query: SEARCH_QUERY,
        vectorsComplete: direct.vectorsComplete,
        hits,
        from,
        editor: activeEditor(),
        accepts,
        command,
      };
    },
  },

  incoming_calls: { body: (probe) => probe.callers(RESOLVE_TARGET) },

  outgoing_calls: {
    async body() {
      const uri = fileUri(MAIN.file);
      const at = new vscode.Position(MAIN.line, MAIN.character);
      const items = await vscode.commands.executeCommand('vscode.prepareCallHierarchy', uri, at);
      if (!items || items.length === 0) return { prepared: [], outgoing: [] };
      const calls = await vscode.commands.executeCommand('vscode.provideOutgoingCalls', items[0]);
      return {
        prepared: items.map(plain.item),
        outgoing: (calls || []).map((call) => ({
          to: plain.item(call.to),
          fromRanges: call.fromRanges.map(plain.range),
        })),
      };
    },
  },

  show_callers: { body: () => showCallHierarchy('kenning.showCallers', RESOLVE_TARGET) },
  show_callees: { body: () => showCallHierarchy('kenning.showCallees', MAIN) },

  impact: {
    async body() {
      await showAt(RESOLVE_TARGET);
      const value = await vscode.commands.executeCommand('kenning.showImpact');
      if (!value || !Array.isArray(value.files)) return { value: value ?? null };
      return {
        value,
        // The same, by workspace-relative path, for readable assertions.
        files: value.files.map((file) => ({
          path: relative(vscode.Uri.parse(file.uri)),
          callers: file.callers.map((caller) => ({
            name: caller.symbol.name,
            distance: caller.distance,
            callSites: caller.callSites.map((r) => r.start),
          })),
        })),
      };
    },
  },

  reindex_workspace: { body: () => vscode.commands.executeCommand('kenning.reindexWorkspace') },

  reindex_file: {
    async body() {
      await showAt(MAIN);
      const value = await vscode.commands.executeCommand('kenning.reindexFile');
      return {
        value,
        targets: ((value && value.targets) || []).map((t) => relative(vscode.Uri.parse(t))),
      };
    },
  },

  idle_after_reindex: { body: (probe) => probe.waitIdle(), timeoutMs: IDLE_TIMEOUT_MS + 10000 },

  // Pause and resume at once (with embeddings off, both say there is nothing to do).
  pause_resume: {
    async body(probe) {
      const pause = await vscode.commands.executeCommand('kenning.embedding.pause');
      await sleep(300);
      const paused = { status: await probe.serverStatus(), statusText: probe.statusText() };
      const resume = await vscode.commands.executeCommand('kenning.embedding.resume');
      await sleep(300);
      const resumed = { status: await probe.serverStatus(), statusText: probe.statusText() };
      return { pause, paused, resume, resumed };
    },
  },

  // Pause as soon as the first index is written, while the model loads or the chunks
  // embed; hold it a while; resume, and wait for everything to be embedded. Not during
  // the index itself: Engine.index pauses embedding for its own run and resumes it
  // after, so a pause sent meanwhile is lost (a daemon bug this probe found).
  pause_while_embedding: {
    async body(probe) {
      let before = null;
      await until(async () => {
        if (!probe.client().isRunning()) return false;
        before = await probe.serverStatus();
        return before.files > 0 && !['starting', 'indexing'].includes(before.phase);
      }, IDLE_TIMEOUT_MS, 50);
      const pause = await vscode.commands.executeCommand('kenning.embedding.pause');
      await sleep(2000);
      const paused = { status: await probe.serverStatus(), statusText: probe.statusText() };
      const resume = await vscode.commands.executeCommand('kenning.embedding.resume');
      const resumed = await probe.waitIdle({ embedded: true });
      return { before, pause, paused, resume, resumed };
    },
    timeoutMs: 2 * IDLE_TIMEOUT_MS,
  },

  show_status: {
    async body() {
      // It may show a message or a pick and wait on the user: settling is not required.
      let settled = false;
      let value = null;
      const running = vscode.commands.executeCommand('kenning.showStatus').then((v) => {
        settled = true;
        value = v === undefined ? null : v;
      });
      await Promise.race([running, sleep(3000)]);
      return { settled, value };
    },
  },

  restart_server: {
    async body(probe) {
      const before = probe.client();
      await vscode.commands.executeCommand('kenning.restartServer');
      const after = await probe.waitIdle();
      const callers = await probe.callers(RESOLVE_TARGET);
      return { newClient: probe.client() !== before, ...after, callers };
    },
    timeoutMs: IDLE_TIMEOUT_MS + 20000,
  },
};

function activate() {
  // Installed but not under test (no output file named): stay inert.
  if (!OUT) return;
  const probe = new Probe(OUT);
  // The driver names the steps (tests/clients/test_vscode_e2e.py: REQUEST_STEPS,
  // EMBEDDING_STEPS); without any, the probe reports just that.
  const steps = (process.env.KENNING_E2E_STEPS || '').split(',').filter(Boolean);
  if (steps.length === 0) probe.findings.fatal = 'KENNING_E2E_STEPS names no step';
  // Not awaited: activation must return, and the kenning extension activate, first.
  probe
    .run(steps)
    .catch((error) => {
      probe.findings.fatal = errorText(error);
    })
    .finally(() => probe.write(OUT));
}

function deactivate() {}

module.exports = { activate, deactivate };
