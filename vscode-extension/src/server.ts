/**
 * The server's lifecycle: one `LanguageClient` at a time over the stdio of a
 * `kenning serve` process this module spawns, restarted (debounced) when a server or
 * launch setting changes, and the one door to the server for the commands
 * (`request`, `executeCommand`). Status notifications and state changes come out as
 * events for the status bar.
 *
 * Starts, stops and restarts run one after the other (a queue), and a stop waits for
 * the process to exit: the next server must find the folder's index lock free, or it
 * would open the index read-only.
 */

import * as cp from 'child_process';
import * as vscode from 'vscode';
import {
  CancellationToken,
  CloseAction,
  CloseHandlerResult,
  ErrorAction,
  ErrorHandler,
  ErrorHandlerResult,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RequestType,
  RevealOutputChannelOn,
  State,
} from 'vscode-languageclient/node';

import { LANGUAGE_IDS } from './languages';
import { CommandResult, STATUS, StatusNotification, StatusResult } from './protocol';
import { SECTION, ServerConfig, SettingsError, affectsServer, serverConfig } from './settings';

/** The client's state as the status bar shows it. */
export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

// How long `shutdown` may take: the server applies queued edits, lets the embedding
// batch in flight finish and closes its stores first.
const STOP_TIMEOUT_MS = 10_000;
// Then how long the process has to exit before it is killed.
const EXIT_TIMEOUT_MS = 5_000;
export const RESTART_DELAY_MS = 500;
// A server that crashes is restarted, up to this many times in this window.
const MAX_CRASH_RESTARTS = 4;
const CRASH_WINDOW_MS = 3 * 60_000;

/**
 * What to do when the connection to a server closes unexpectedly: a server that never
 * got as far as running is not restarted (its start failed: the user is told once, and
 * the client's own start promise settles — restarting from inside a failed start leaves
 * a promise nobody awaits); one that crashes later is restarted a few times.
 */
export class CrashPolicy implements ErrorHandler {
  private ran = false;
  private readonly crashes: number[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  running(): void {
    this.ran = true;
  }

  error(_error: Error, _message: unknown, count: number | undefined): ErrorHandlerResult {
    return { action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown };
  }

  closed(): CloseHandlerResult {
    if (!this.ran) {
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    const now = this.now();
    this.crashes.push(now);
    while (this.crashes.length && this.crashes[0] < now - CRASH_WINDOW_MS) {
      this.crashes.shift();
    }
    if (this.crashes.length > MAX_CRASH_RESTARTS) {
      return {
        action: CloseAction.DoNotRestart,
        message:
          `The kenning server stopped ${this.crashes.length} times in 3 minutes and was not restarted. ` +
          'See the Kenning output; "Kenning: Restart Server" starts it again.',
      };
    }
    return { action: CloseAction.Restart, handled: true };
  }
}

export class KenningServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private process: cp.ChildProcess | undefined;
  private lifecycle: Promise<void> = Promise.resolve();
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private currentState: ServerState = 'stopped';
  private lastError: string | undefined;
  // How the last server process exited ("code 3", "SIGKILL").
  private exitStatus: string | undefined;
  private readonly statusEmitter = new vscode.EventEmitter<StatusResult>();
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  private readonly disposables: vscode.Disposable[] = [this.statusEmitter, this.stateEmitter];

  /** Every `kenning/status` the server sends, and the answer to the first request. */
  readonly onStatus = this.statusEmitter.event;
  readonly onState = this.stateEmitter.event;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly trace: vscode.OutputChannel,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (affectsServer((section) => event.affectsConfiguration(section))) {
          this.output.info('settings changed: restarting the server');
          this.scheduleRestart();
        }
      }),
    );
  }

  get state(): ServerState {
    return this.currentState;
  }

  /** Why the last start failed, for the status bar's tooltip. */
  get error(): string | undefined {
    return this.lastError;
  }

  /** A warning for the Kenning output channel (a command's failure, say). */
  log(text: string): void {
    this.output.warn(text);
  }

  get languageClient(): LanguageClient | undefined {
    return this.client;
  }

  start(): Promise<void> {
    // Said at once, so that nothing shows "stopped" while the start waits its turn.
    this.setState('starting');
    return this.enqueue(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  restart(): Promise<void> {
    this.cancelScheduledRestart();
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  /** Restart once settings stop changing for a moment (an edit of settings.json may
   * change several keys, each with its own event). */
  scheduleRestart(delayMs = RESTART_DELAY_MS): void {
    this.cancelScheduledRestart();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.restart().catch((error: unknown) => this.output.error(`restart failed: ${message(error)}`));
    }, delayMs);
  }

  /** A running client, after any start or restart under way; throws if there is none. */
  async running(): Promise<LanguageClient> {
    await this.lifecycle;
    const client = this.client;
    if (client === undefined || !client.isRunning()) {
      const why = this.lastError ? `: ${this.lastError}` : '';
      throw new Error(`the kenning server is not running${why}`);
    }
    return client;
  }

  async request<P, R>(type: RequestType<P, R, void>, params: P, token?: CancellationToken): Promise<R> {
    const client = await this.running();
    return token ? client.sendRequest(type, params, token) : client.sendRequest(type, params);
  }

  /** A `workspace/executeCommand` of the server's (`kenning.reindex`, ...). */
  async executeCommand(command: string, args: unknown[] = []): Promise<CommandResult> {
    const client = await this.running();
    return (await client.sendRequest(ExecuteCommandRequest.type, {
      command,
      arguments: args,
    })) as CommandResult;
  }

  async dispose(): Promise<void> {
    this.cancelScheduledRestart();
    await this.stop();
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }

  // -- the lifecycle, one step at a time ----------------------------------------------

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.lifecycle.then(step, step);
    // The queue goes on after a failed step; the caller still sees the failure.
    this.lifecycle = next.catch(() => undefined);
    return next;
  }

  private cancelScheduledRestart(): void {
    if (this.restartTimer !== undefined) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
  }

  private setState(state: ServerState): void {
    if (state !== this.currentState) {
      this.currentState = state;
      this.stateEmitter.fire(state);
    }
  }

  private async doStart(): Promise<void> {
    this.lastError = undefined;
    this.setState('starting');
    let config: ServerConfig | undefined;
    let first: cp.ChildProcess | undefined;
    try {
      config = readConfig();
      // Spawned here rather than by the client, so that a missing command is told to
      // the user once, with what to do about it.
      first = await this.spawn(config);
    } catch (error) {
      this.fail(error, config);
      return;
    }
    const launched = config;
    const client = this.createClient(launched, async () => {
      // The client calls this again to restart a server that crashed.
      const child = first ?? (await this.spawn(launched));
      first = undefined;
      return child;
    });
    this.client = client;
    try {
      await client.start();
      if (!client.isRunning()) {
        throw new Error('the server exited while starting');
      }
    } catch (error) {
      // The client has told the user already ("couldn't create connection").
      await this.doStop();
      const exit = this.exitStatus ? ` (${this.exitStatus})` : '';
      this.lastError = `${message(error)}${exit}; see the Kenning output`;
      this.output.error(`the server did not initialize: ${this.lastError}`);
      this.setState('failed');
      return;
    }
    this.setState('running');
    try {
      this.statusEmitter.fire(await client.sendRequest(STATUS, {}));
    } catch (error) {
      this.output.warn(`kenning/status failed: ${message(error)}`);
    }
  }

  private async spawn({ launch }: ServerConfig): Promise<cp.ChildProcess> {
    this.output.info(`starting ${[launch.command, ...launch.args].join(' ')}`);
    const child = cp.spawn(launch.command, launch.args, {
      cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      env: { ...process.env, ...launch.env },
      stdio: 'pipe',
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    this.exitStatus = undefined;
    child.once('exit', (code, signal) => {
      this.exitStatus = signal ?? `code ${code}`;
      this.output.info(`server process ${child.pid} exited (${this.exitStatus})`);
    });
    this.process = child;
    return child;
  }

  private createClient(config: ServerConfig, spawn: () => Promise<cp.ChildProcess>): LanguageClient {
    const crashes = new CrashPolicy();
    const options: LanguageClientOptions = {
      errorHandler: crashes,
      // Without this the client shows the bare JSON-RPC error as well as its own
      // "couldn't create connection to server".
      initializationFailedHandler: (error) => {
        this.output.error(`initialize failed: ${message(error)}`);
        return false;
      },
      documentSelector: LANGUAGE_IDS.map((language) => ({ scheme: 'file', language })),
      outputChannel: this.output,
      traceOutputChannel: this.trace,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      // Only what the user set; the server fills in the rest and warns about bad values.
      initializationOptions: config.initializationOptions,
      // No `synchronize`: the server asks for file events itself (dynamic
      // registration), and settings reach it by a restart.
    };
    const client = new KenningLanguageClient(SECTION, 'Kenning', spawn, options);
    client.onNotification(StatusNotification, (status) => this.statusEmitter.fire(status));
    client.onDidChangeState((event) => {
      // The client restarts a crashed server by itself; follow it.
      if (client !== this.client) {
        return;
      }
      if (event.newState === State.Running) {
        crashes.running();
        this.setState('running');
      } else if (event.newState === State.Starting) {
        this.setState('starting');
      } else if (this.currentState === 'running') {
        this.setState('stopped');
      }
    });
    return client;
  }

  /** A start that failed before the client ran: bad settings, or no such command. */
  private fail(error: unknown, config: ServerConfig | undefined): void {
    const command = config?.launch.command;
    const missing = (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    this.lastError = missing ? `${command} was not found: set kenning.server.command` : message(error);
    this.output.error(`the server could not start: ${message(error)}`);
    this.setState('failed');
    const action = error instanceof SettingsError || missing ? 'Open Settings' : 'Show Output';
    void vscode.window
      .showErrorMessage(`Kenning: the server could not start: ${this.lastError}`, action)
      .then((choice) => {
        if (choice === 'Open Settings') {
          void vscode.commands.executeCommand('workbench.action.openSettings', 'kenning.server');
        } else if (choice === 'Show Output') {
          this.output.show(true);
        }
      });
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    const child = this.process;
    this.client = undefined;
    this.process = undefined;
    if (client !== undefined) {
      try {
        await client.dispose(STOP_TIMEOUT_MS);
      } catch (error) {
        this.output.warn(`the server did not stop cleanly: ${message(error)}`);
      }
    }
    if (child !== undefined) {
      await ended(child, EXIT_TIMEOUT_MS, this.output);
    }
    if (this.currentState !== 'failed') {
      this.setState('stopped');
    }
  }
}

/**
 * vscode-languageclient 9's client, less two rejections nobody can handle when the
 * server exits during `initialize`: `start()` drops its own promise (and resolves to
 * nothing, so callers must check `isRunning()`), and the client calls `stop()` on
 * itself while still starting, which rejects ("Client is not running and can't be
 * stopped"). Stopping a client that is not running is a no-op here.
 */
class KenningLanguageClient extends LanguageClient {
  override async start(): Promise<void> {
    const started = super.start();
    (this as unknown as { _onStart?: Promise<void> })._onStart?.catch(() => undefined);
    await started;
  }

  override stop(timeout?: number): Promise<void> {
    const running = this.isRunning();
    const stopping = super.stop(timeout);
    return running ? stopping : stopping.catch(() => undefined);
  }
}

/** The settings of the window as the server needs them. */
function readConfig(): ServerConfig {
  const config = vscode.workspace.getConfiguration(SECTION);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return serverConfig((key) => config.inspect(key), { workspaceFolder: folder });
}

/** Waits for the process to exit, killing it if it takes longer than `ms`. */
async function ended(child: cp.ChildProcess, ms: number, log: vscode.LogOutputChannel): Promise<void> {
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const exit = (within: number) =>
    new Promise<boolean>((resolve) => {
      if (exited()) {
        resolve(true);
        return;
      }
      const timer = setTimeout(() => resolve(exited()), within);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  if (!(await exit(ms))) {
    log.warn(`server process ${child.pid} did not exit; killing it`);
    child.kill('SIGKILL');
    await exit(1000);
  }
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
