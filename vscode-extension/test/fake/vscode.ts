/**
 * A stand-in for the `vscode` module, enough for the real vscode-languageclient and
 * the extension to run in plain Node: jest-mock-vscode's classes (Uri, Range,
 * EventEmitter, CallHierarchyItem, ...) plus hand-written namespaces that behave —
 * commands that dispatch, settings that fire change events, quick picks a test can
 * type into and accept, documents read from disk (opening one sends `didOpen`), and
 * the built-in call hierarchy view's commands, emulated through the registered
 * provider. Everything the extension shows is recorded on `Fake` for tests to read.
 */

import * as fs from 'fs';
import * as path from 'path';
import type * as vscode from 'vscode';

import { createVSCodeMock } from 'jest-mock-vscode';
import { MockTextDocument } from 'jest-mock-vscode/dist/vscode/TextDocument';

type Handler = (...args: unknown[]) => unknown;

// jest-mock-vscode wants a test framework's `fn`; plain functions do here (the
// namespaces it would fill with mocks are replaced below).
const base = createVSCodeMock({ fn: (impl?: Handler) => impl ?? (() => undefined) }) as unknown as Record<
  string,
  unknown
>;
const EventEmitter = base.EventEmitter as typeof vscode.EventEmitter;
const Uri = base.Uri as typeof vscode.Uri;
const Position = base.Position as typeof vscode.Position;
const Selection = base.Selection as typeof vscode.Selection;
const Disposable = base.Disposable as typeof vscode.Disposable;

function emitter<T>(): vscode.EventEmitter<T> {
  return new EventEmitter<T>();
}

const noop = { dispose: () => undefined };

export interface Message {
  level: 'info' | 'warning' | 'error';
  message: string;
  items: unknown[];
}

export interface ProgressRecord {
  title: string | undefined;
  reports: { message?: string; increment?: number }[];
  done: boolean;
}

export interface CallHierarchyShown {
  direction: 'incoming' | 'outgoing';
  items: vscode.CallHierarchyItem[];
  calls: (vscode.CallHierarchyIncomingCall | vscode.CallHierarchyOutgoingCall)[];
}

/** Waits until `probe()` returns something truthy; fails with `what` after `ms`. */
export async function until<T>(probe: () => T | undefined | false, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export class FakeOutputChannel {
  readonly lines: string[] = [];
  logLevel = 2;
  readonly onDidChangeLogLevel = emitter<number>().event;
  private partial = '';

  constructor(readonly name: string) {}

  append(text: string): void {
    const all = this.partial + text;
    const parts = all.split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
  }
  appendLine(text: string): void {
    this.append(`${text}\n`);
  }
  replace(text: string): void {
    this.lines.length = 0;
    this.append(text);
  }
  clear(): void {
    this.lines.length = 0;
  }
  show(): void {}
  hide(): void {}
  dispose(): void {}
  trace(text: string): void {
    this.appendLine(`[trace] ${text}`);
  }
  debug(text: string): void {
    this.appendLine(`[debug] ${text}`);
  }
  info(text: string): void {
    this.appendLine(`[info] ${text}`);
  }
  warn(text: string): void {
    this.appendLine(`[warning] ${text}`);
  }
  error(text: string | Error): void {
    this.appendLine(`[error] ${String(text)}`);
  }
  text(): string {
    return [...this.lines, this.partial].join('\n');
  }
}

export class FakeQuickPick<T extends vscode.QuickPickItem> {
  title: string | undefined;
  placeholder: string | undefined;
  busy = false;
  enabled = true;
  visible = false;
  disposed = false;
  matchOnDescription = false;
  matchOnDetail = false;
  canSelectMany = false;
  ignoreFocusOut = false;
  keepScrollPosition = false;
  buttons: vscode.QuickInputButton[] = [];
  activeItems: T[] = [];
  selectedItems: T[] = [];
  step: number | undefined;
  totalSteps: number | undefined;
  private currentValue = '';
  private currentItems: T[] = [];
  private readonly valueEmitter = emitter<string>();
  private readonly acceptEmitter = emitter<void>();
  private readonly hideEmitter = emitter<void>();
  readonly onDidChangeValue = this.valueEmitter.event;
  readonly onDidAccept = this.acceptEmitter.event;
  readonly onDidHide = this.hideEmitter.event;
  readonly onDidChangeActive = emitter<readonly T[]>().event;
  readonly onDidChangeSelection = emitter<readonly T[]>().event;
  readonly onDidTriggerButton = emitter<vscode.QuickInputButton>().event;
  readonly onDidTriggerItemButton = emitter<vscode.QuickPickItemButtonEvent<T>>().event;

  get value(): string {
    return this.currentValue;
  }
  /** As in VS Code, setting the value programmatically also fires onDidChangeValue. */
  set value(value: string) {
    this.currentValue = value;
    setImmediate(() => this.valueEmitter.fire(value));
  }
  get items(): readonly T[] {
    return this.currentItems;
  }
  set items(items: readonly T[]) {
    this.currentItems = [...items];
    this.activeItems = this.currentItems.filter((i) => (i.kind as number | undefined) !== -1).slice(0, 1);
  }

  show(): void {
    this.visible = true;
  }
  hide(): void {
    if (this.visible) {
      this.visible = false;
      this.hideEmitter.fire();
    }
  }
  dispose(): void {
    this.hide();
    this.disposed = true;
  }

  // -- what a user does ----------------------------------------------------------------

  /** Types `value` into the input, as a user would. */
  type(value: string): void {
    this.currentValue = value;
    this.valueEmitter.fire(value);
  }
  /** Accepts `item` (the active item by default), as Enter would. */
  accept(item?: T): void {
    const chosen = item ?? this.activeItems[0];
    this.selectedItems = chosen ? [chosen] : [];
    this.acceptEmitter.fire();
  }
  /** The items, once `ready` says they are the ones wanted. */
  async itemsWhen(ready: (items: readonly T[]) => boolean, what: string): Promise<readonly T[]> {
    return until(() => !this.busy && ready(this.currentItems) && this.currentItems, what);
  }
}

/** A status bar item that remembers every text it showed. */
export class FakeStatusBarItem {
  name: string | undefined;
  // The extension sets plain text.
  tooltip: string | undefined;
  command: string | vscode.Command | undefined;
  backgroundColor: vscode.ThemeColor | undefined;
  visible = false;
  readonly texts: string[] = [];
  private current = '';

  constructor(
    readonly id: string,
    readonly alignment?: number,
    readonly priority?: number,
  ) {}

  get text(): string {
    return this.current;
  }
  set text(text: string) {
    if (text !== this.current) {
      this.texts.push(text);
    }
    this.current = text;
  }
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  dispose(): void {
    this.visible = false;
  }
}

/** The settings: defaults from package.json, user values set by tests. */
class FakeConfiguration {
  readonly user = new Map<string, unknown>();
  readonly defaults = new Map<string, unknown>();
  readonly changed = emitter<vscode.ConfigurationChangeEvent>();

  constructor(packageJson: string) {
    const manifest = JSON.parse(fs.readFileSync(packageJson, 'utf8')) as {
      contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
    };
    for (const [key, schema] of Object.entries(manifest.contributes.configuration.properties)) {
      this.defaults.set(key, schema.default);
    }
  }

  /** Sets (or with undefined, removes) a user setting and fires the change event. */
  set(key: string, value: unknown): void {
    if (value === undefined) {
      this.user.delete(key);
    } else {
      this.user.set(key, value);
    }
    const affects = (section: string) =>
      key === section || key.startsWith(`${section}.`) || section.startsWith(`${key}.`);
    this.changed.fire({ affectsConfiguration: affects });
  }

  section(prefix: string | undefined): vscode.WorkspaceConfiguration {
    const full = (key: string) => (prefix ? `${prefix}.${key}` : key);
    const lookup = (store: Map<string, unknown>, key: string): unknown => {
      if (store.has(key)) {
        return store.get(key);
      }
      const children = [...store.keys()].filter((k) => k.startsWith(`${key}.`));
      if (!children.length) {
        return undefined;
      }
      const tree: Record<string, unknown> = {};
      for (const child of children) {
        tree[child.slice(key.length + 1)] = store.get(child);
      }
      return tree;
    };
    const config = {
      get: (key: string, fallback?: unknown) =>
        lookup(this.user, full(key)) ?? lookup(this.defaults, full(key)) ?? fallback,
      has: (key: string) => lookup(this.user, full(key)) !== undefined || lookup(this.defaults, full(key)) !== undefined,
      inspect: (key: string) => ({
        key: full(key),
        defaultValue: lookup(this.defaults, full(key)),
        globalValue: lookup(this.user, full(key)),
      }),
      update: (key: string, value: unknown) => {
        this.set(full(key), value);
        return Promise.resolve();
      },
    };
    return config as unknown as vscode.WorkspaceConfiguration;
  }
}

interface FakeEditor {
  document: vscode.TextDocument;
  selection: vscode.Selection;
  selections: vscode.Selection[];
  revealed: vscode.Range[];
  revealRange(range: vscode.Range): void;
}

export interface Shown {
  uri: string;
  selection: vscode.Range | undefined;
}

/** The state behind the fake module; tests drive and read it. */
export class Fake {
  readonly config: FakeConfiguration;
  readonly messages: Message[] = [];
  readonly quickPicks: FakeQuickPick<vscode.QuickPickItem>[] = [];
  readonly outputChannels: FakeOutputChannel[] = [];
  readonly statusBarItems: FakeStatusBarItem[] = [];
  readonly progress: ProgressRecord[] = [];
  readonly executed: { command: string; args: unknown[] }[] = [];
  readonly shown: Shown[] = [];
  readonly watchers: string[] = [];
  readonly providers = new Map<string, unknown[]>();
  readonly commands = new Map<string, Handler>();
  readonly documents: vscode.TextDocument[] = [];
  callHierarchy: CallHierarchyShown | undefined;
  activeEditor: FakeEditor | undefined;
  workspaceFolders: vscode.WorkspaceFolder[] | undefined;
  private callDirection: 'incoming' | 'outgoing' = 'incoming';
  private readonly events = new Map<string, vscode.EventEmitter<unknown>>();
  readonly module: Record<string, unknown>;

  constructor(packageJson: string) {
    this.config = new FakeConfiguration(packageJson);
    this.module = this.build();
  }

  /** One emitter per event name, created when first asked for. */
  event(name: string): vscode.Event<unknown> {
    let e = this.events.get(name);
    if (e === undefined) {
      e = emitter<unknown>();
      this.events.set(name, e);
    }
    return e.event;
  }

  fire(name: string, value: unknown): void {
    this.events.get(name)?.fire(value);
  }

  setFolders(roots: string[]): void {
    this.workspaceFolders = roots.map((root, index) => ({ uri: Uri.file(root), name: path.basename(root), index }));
  }

  lastQuickPick(): FakeQuickPick<vscode.QuickPickItem> | undefined {
    return this.quickPicks[this.quickPicks.length - 1];
  }

  outputText(): string {
    return this.outputChannels.map((c) => `--- ${c.name}\n${c.text()}`).join('\n');
  }

  async openTextDocument(target: vscode.Uri | string): Promise<vscode.TextDocument> {
    const uri = typeof target === 'string' ? Uri.file(target) : target;
    const open = this.documents.find((d) => d.uri.toString() === uri.toString());
    if (open) {
      return open;
    }
    const text = await fs.promises.readFile(uri.fsPath, 'utf8');
    const language = /\.pyi?$/.test(uri.fsPath) ? 'python' : 'plaintext';
    const document = MockTextDocument.create(uri, text, language);
    this.documents.push(document);
    this.fire('workspace.onDidOpenTextDocument', document);
    return document;
  }

  async showTextDocument(
    target: vscode.TextDocument | vscode.Uri,
    options?: vscode.TextDocumentShowOptions | number,
  ): Promise<FakeEditor> {
    const document = target instanceof Uri ? await this.openTextDocument(target) : target;
    const selection = typeof options === 'object' ? options.selection : undefined;
    this.shown.push({ uri: document.uri.toString(), selection });
    const at = selection?.start ?? new Position(0, 0);
    const cursor = new Selection(at, at);
    const editor: FakeEditor = {
      document,
      selection: cursor,
      selections: [cursor],
      revealed: [],
      revealRange(range: vscode.Range) {
        this.revealed.push(range);
      },
    };
    this.activeEditor = editor;
    this.fire('window.onDidChangeActiveTextEditor', editor);
    return editor;
  }

  async executeCommand(command: string, ...args: unknown[]): Promise<unknown> {
    this.executed.push({ command, args });
    const handler = this.commands.get(command);
    if (handler !== undefined) {
      return handler(...args);
    }
    return this.builtin(command);
  }

  /** VS Code's own commands the extension runs: the references view's, emulated. */
  private async builtin(command: string): Promise<unknown> {
    if (command === 'references-view.showIncomingCalls') {
      this.callDirection = 'incoming';
    } else if (command === 'references-view.showOutgoingCalls') {
      this.callDirection = 'outgoing';
    } else if (command === 'references-view.showCallHierarchy') {
      const editor = this.activeEditor;
      const provider = this.providers.get('registerCallHierarchyProvider')?.[1] as
        | vscode.CallHierarchyProvider
        | undefined;
      if (editor === undefined || provider === undefined) {
        return undefined;
      }
      const token = cancellationToken();
      const prepared = await provider.prepareCallHierarchy(editor.document, editor.selection.active, token);
      const items = prepared === undefined || prepared === null ? [] : Array.isArray(prepared) ? prepared : [prepared];
      const calls = [];
      for (const item of items) {
        const found =
          this.callDirection === 'incoming'
            ? await provider.provideCallHierarchyIncomingCalls(item, token)
            : await provider.provideCallHierarchyOutgoingCalls(item, token);
        calls.push(...(found ?? []));
      }
      this.callHierarchy = { direction: this.callDirection, items, calls };
    }
    return undefined;
  }

  private message(level: Message['level']) {
    return (message: string, ...items: unknown[]): Promise<undefined> => {
      this.messages.push({ level, message, items });
      return Promise.resolve(undefined);
    };
  }

  private build(): Record<string, unknown> {
    // The namespaces' getters have their own `this`.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const fake = this;
    const ev = (name: string) => this.event(name);
    const window = {
      get activeTextEditor() {
        return fake.activeEditor;
      },
      get visibleTextEditors() {
        return fake.activeEditor ? [fake.activeEditor] : [];
      },
      state: { focused: true, active: true },
      activeColorTheme: { kind: 2 },
      tabGroups: { all: [], activeTabGroup: { tabs: [] }, onDidChangeTabs: ev('tabs'), onDidChangeTabGroups: ev('tabGroups') },
      onDidChangeActiveTextEditor: ev('window.onDidChangeActiveTextEditor'),
      onDidChangeVisibleTextEditors: ev('window.onDidChangeVisibleTextEditors'),
      onDidChangeTextEditorSelection: ev('window.onDidChangeTextEditorSelection'),
      onDidChangeWindowState: ev('window.onDidChangeWindowState'),
      onDidChangeActiveColorTheme: ev('window.onDidChangeActiveColorTheme'),
      createOutputChannel: (name: string) => {
        const channel = new FakeOutputChannel(name);
        this.outputChannels.push(channel);
        return channel;
      },
      createStatusBarItem: (id: string, alignment?: number, priority?: number) => {
        const item = new FakeStatusBarItem(id, alignment, priority);
        this.statusBarItems.push(item);
        return item;
      },
      showInformationMessage: this.message('info'),
      showWarningMessage: this.message('warning'),
      showErrorMessage: this.message('error'),
      createQuickPick: () => {
        const pick = new FakeQuickPick();
        this.quickPicks.push(pick);
        return pick;
      },
      showQuickPick: () => Promise.resolve(undefined),
      showTextDocument: (target: vscode.TextDocument | vscode.Uri, options?: vscode.TextDocumentShowOptions) =>
        this.showTextDocument(target, options),
      withProgress: async (
        options: vscode.ProgressOptions,
        task: (progress: vscode.Progress<{ message?: string }>, token: vscode.CancellationToken) => Thenable<unknown>,
      ) => {
        const record: ProgressRecord = { title: options.title, reports: [], done: false };
        this.progress.push(record);
        try {
          return await task({ report: (value) => record.reports.push(value) }, cancellationToken());
        } finally {
          record.done = true;
        }
      },
      createTextEditorDecorationType: () => noop,
    };
    const workspace = {
      get workspaceFolders() {
        return fake.workspaceFolders;
      },
      get name() {
        return fake.workspaceFolders?.[0]?.name;
      },
      workspaceFile: undefined,
      get textDocuments() {
        return fake.documents;
      },
      notebookDocuments: [],
      isTrusted: true,
      getConfiguration: (section?: string) => this.config.section(section),
      onDidChangeConfiguration: this.config.changed.event,
      getWorkspaceFolder: (uri: vscode.Uri) =>
        this.workspaceFolders?.find((f) => uri.fsPath.startsWith(f.uri.fsPath + path.sep)),
      asRelativePath: (target: vscode.Uri | string, includeFolder?: boolean) => {
        const file = typeof target === 'string' ? target : target.fsPath;
        const folder = this.workspaceFolders?.find((f) => file.startsWith(f.uri.fsPath + path.sep));
        if (folder === undefined) {
          return file;
        }
        const rel = path.relative(folder.uri.fsPath, file);
        return includeFolder ? `${folder.name}/${rel}` : rel;
      },
      openTextDocument: (target: vscode.Uri | string) => this.openTextDocument(target),
      createFileSystemWatcher: (glob: unknown) => {
        this.watchers.push(String(glob));
        return {
          ignoreCreateEvents: false,
          ignoreChangeEvents: false,
          ignoreDeleteEvents: false,
          onDidCreate: ev('watcher.create'),
          onDidChange: ev('watcher.change'),
          onDidDelete: ev('watcher.delete'),
          dispose: () => undefined,
        };
      },
      fs: { stat: (uri: vscode.Uri) => fs.promises.stat(uri.fsPath) },
    };
    // Every other workspace.onDid*/onWill* event, by name.
    const workspaceEvents = new Proxy(workspace, {
      get(target, key: string) {
        if (key in target) {
          return target[key as keyof typeof target];
        }
        if (/^on(Did|Will)/.test(key)) {
          return ev(`workspace.${key}`);
        }
        return undefined;
      },
    });
    const commands = {
      registerCommand: (id: string, handler: Handler) => {
        if (this.commands.has(id)) {
          throw new Error(`command '${id}' already exists`);
        }
        this.commands.set(id, handler);
        return { dispose: () => this.commands.delete(id) };
      },
      registerTextEditorCommand: (id: string, handler: Handler) => commands.registerCommand(id, handler),
      executeCommand: (command: string, ...args: unknown[]) => this.executeCommand(command, ...args),
      getCommands: () => Promise.resolve([...this.commands.keys()]),
    };
    const languages = new Proxy<Record<string, unknown>>(
      {
        match: (selector: vscode.DocumentSelector, document: vscode.TextDocument) => {
          const filters = (Array.isArray(selector) ? selector : [selector]) as (vscode.DocumentFilter | string)[];
          return filters.some((f) =>
            typeof f === 'string'
              ? f === document.languageId
              : (f.language === undefined || f.language === document.languageId) &&
                (f.scheme === undefined || f.scheme === document.uri.scheme),
          )
            ? 10
            : 0;
        },
        createDiagnosticCollection: (name?: string) => ({
          name,
          set: () => undefined,
          delete: () => undefined,
          clear: () => undefined,
          forEach: () => undefined,
          get: () => undefined,
          has: () => false,
          dispose: () => undefined,
        }),
        getLanguages: () => Promise.resolve(['python', 'plaintext']),
        onDidChangeDiagnostics: ev('languages.onDidChangeDiagnostics'),
      },
      {
        // registerXProvider(selector, provider, ...): kept for tests (and the emulated views).
        get: (target, key: string) => {
          if (key in target) {
            return target[key];
          }
          if (key.startsWith('register')) {
            return (...args: unknown[]) => {
              this.providers.set(key, args);
              return { dispose: () => this.providers.delete(key) };
            };
          }
          return undefined;
        },
      },
    );
    return {
      ...base,
      version: '1.100.3',
      window,
      workspace: workspaceEvents,
      commands,
      languages,
      env: {
        appName: 'Visual Studio Code',
        appRoot: '',
        appHost: 'desktop',
        language: 'en',
        machineId: 'test-machine',
        sessionId: 'test-session',
        uriScheme: 'vscode',
        uiKind: 1,
        shell: '/bin/sh',
        isTelemetryEnabled: false,
        onDidChangeTelemetryEnabled: ev('env.onDidChangeTelemetryEnabled'),
        clipboard: { readText: () => Promise.resolve(''), writeText: () => Promise.resolve() },
        openExternal: () => Promise.resolve(true),
      },
      extensions: { all: [], getExtension: () => undefined, onDidChange: ev('extensions.onDidChange') },
      l10n: { t: (message: string) => message },
      UIKind: { Desktop: 1, Web: 2 },
      QuickPickItemKind: { Separator: -1, Default: 0 },
      // Classes vscode-languageclient extends or builds that jest-mock-vscode lacks.
      InlayHint: class InlayHint {
        constructor(
          public position: vscode.Position,
          public label: string,
          public kind?: number,
        ) {}
      },
      InlayHintKind: { Type: 1, Parameter: 2 },
      InlineValueText: class {},
      InlineValueVariableLookup: class {},
      InlineValueEvaluatableExpression: class {},
      InlineCompletionItem: class {},
      InlineCompletionList: class {},
      LinkedEditingRanges: class {},
      TypeHierarchyItem: base.TypeHierarchyItem ?? class {},
      CancellationTokenSource: CancellationTokenSource,
      CancellationError: class CancellationError extends Error {},
      RelativePattern: class RelativePattern {
        constructor(
          public baseUri: unknown,
          public pattern: string,
        ) {}
      },
      Disposable,
    };
  }
}

class CancellationTokenSource {
  private readonly cancelled = emitter<void>();
  readonly token = {
    isCancellationRequested: false,
    onCancellationRequested: this.cancelled.event,
  };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.cancelled.fire();
  }
  dispose(): void {}
}

function cancellationToken(): vscode.CancellationToken {
  return new CancellationTokenSource().token;
}
