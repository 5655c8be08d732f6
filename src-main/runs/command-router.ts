/**
 * The host's one entry for board commands, used by Electron IPC and by serve mode's WebSocket alike:
 * parameters are validated with the contract's zod schemas where they enter, then the command goes to the
 * run manager, to the interactive engine process (inspect, chat), or to an engine process of its own
 * (export, backend probe). Every failure comes back as `{ message }` for the user, never a stack trace.
 */
import { resolve } from 'node:path';
import type { z } from 'zod';
import pkg from '../../package.json';
import { describeError, UserError, validationError } from '../engine/errors';
import { isWithin, realPath } from '../engine/output-folders';
import { commandParams, type AppInfo, type CommandError, type CommandName, type CommandResults } from '../protocol/board-api';
import { BackendProber } from './backend-prober';
import type { EngineLauncher } from './engine-host';
import { EngineSlot } from './engine-slot';
import type { EventSink } from './event-sink';
import { listFolder } from './fs-list';
import type { HostPaths } from './host-paths';
import type { HostServices } from './host-services';
import { InteractiveEngine, runInOwnEngine } from './interactive-engine';
import type { RunManager } from './run-manager';
import { plannedRunConfig } from './run-config';
import { RunPlanner } from './run-planner';

export type CommandOutcome = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: CommandError };

export interface CommandRouterOptions {
  readonly runs: RunManager;
  readonly launchEngine: EngineLauncher;
  readonly emit: EventSink;
  readonly paths: HostPaths;
  readonly services: HostServices;
  /** Where bugs (not user errors) are reported with their stack: the host's console. */
  readonly onInternalError?: (err: unknown, command: string) => void;
}

type Handlers = { [C in CommandName]: (params: z.output<(typeof commandParams)[C]>) => Promise<CommandResults[C]> };

export class CommandRouter {
  private readonly interactive: InteractiveEngine;
  private readonly prober: BackendProber;
  private readonly planner: RunPlanner;
  private readonly chat = new EngineSlot('a reply is still being written: wait for it, or stop it first');
  private readonly exports = new EngineSlot('an export is running: wait for it, or cancel it first');
  private readonly evaluation = new EngineSlot('an evaluation is running: wait for it, or stop it first');
  private readonly handlers: Handlers;
  /** Folders the user chose in the native dialog: an export may go there. */
  private readonly picked = new Set<string>();

  constructor(private readonly options: CommandRouterOptions) {
    this.interactive = new InteractiveEngine(options.launchEngine);
    this.prober = new BackendProber(options.launchEngine);
    this.planner = new RunPlanner(this.interactive, options.launchEngine, options.runs);
    this.handlers = this.makeHandlers();
  }

  async handle(command: string, params: unknown): Promise<CommandOutcome> {
    if (typeof command !== 'string' || !Object.hasOwn(commandParams, command)) return failure(`unknown command "${String(command)}"`);
    const name = command as CommandName;
    const parsed = commandParams[name].safeParse(params ?? {});
    if (!parsed.success) return failure(validationError(name, parsed.error.issues).message);
    try {
      const handler = this.handlers[name] as (p: unknown) => Promise<unknown>;
      return { ok: true, result: await handler(parsed.data) };
    } catch (err) {
      if (!(err instanceof UserError)) (this.options.onInternalError ?? reportInternal)(err, name);
      return failure(describeError(err));
    }
  }

  /** Stops trainings with a checkpoint and ends the engine processes. */
  async close(graceMs?: number): Promise<void> {
    this.chat.cancel();
    this.exports.cancel();
    this.evaluation.cancel();
    await Promise.all([this.options.runs.shutdown(graceMs), this.interactive.close()]);
  }

  /**
   * Where the board may export: a bare name lands in the exports folder, and any other folder must have been
   * chosen by the user in the native dialog; a serve-mode client (no dialogs) cannot point an export elsewhere.
   */
  private exportFolder(out: string): string {
    const { exportsDir } = this.options.paths;
    const path = resolve(exportsDir, out);
    if (isWithin(realPath(path), realPath(exportsDir)) || this.picked.has(realPath(path))) return path;
    throw new UserError(`export:start: out: ${path} is outside the exports folder ${exportsDir}`, 'Export into the exports folder, or choose another folder with the folder dialog (desktop app).');
  }

  private makeHandlers(): Handlers {
    const { runs, paths, services, emit, launchEngine } = this.options;
    const abs = (p: string) => resolve(paths.baseDir, p);
    return {
      'app:info': async (): Promise<AppInfo> => ({
        version: pkg.version,
        transport: services.transport,
        platform: process.platform,
        runsDir: paths.runsDir,
        exportsDir: paths.exportsDir,
        demo: { model: paths.demoModel, dataset: paths.demoDataset },
        nativeDialogs: services.nativeDialogs,
      }),
      'backend:probe': (p) => this.prober.probe(p.backend),
      'model:inspect': (p) => this.interactive.run('model:inspect', { dir: abs(p.dir) }).result,
      'dataset:keys': (p) => this.interactive.run('dataset:keys', { dir: abs(p.dir) }).result,
      'dataset:inspect': (p) => {
        const datasetDir = p.datasetDir ? abs(p.datasetDir) : null;
        return this.interactive.run('dataset:inspect', { model: abs(p.model), dataset: datasetDir ? p.dataset : abs(p.dataset), datasetDir, cutoffLen: p.cutoffLen }).result;
      },
      'run:start': (p) => runs.start(p.config, p.backend),
      'run:stop': async (p) => {
        runs.stop(p.id);
        return { ok: true };
      },
      'run:resume': (p) => runs.resume(p.id, p.backend, p.changes),
      'run:plan': (p) => this.planner.plan(plannedRunConfig(p.config, paths.baseDir), p.backend, p.device, p.memoryBytes ?? null),
      'speed:probe': (p) => this.planner.probe(plannedRunConfig(p.config, paths.baseDir), p.backend),
      'run:list': async () => ({ runs: await runs.list() }),
      'run:get': (p) => runs.get(p.id),
      'run:delete': async (p) => {
        await runs.delete(p.id);
        return { ok: true };
      },
      'chat:send': (p) =>
        this.chat.run(() =>
          this.interactive.run(
            'chat',
            { model: abs(p.model), adapter: p.adapter ? abs(p.adapter) : null, messages: p.messages, maxNewTokens: p.maxNewTokens, temperature: p.temperature, topP: p.topP, seed: p.seed ?? null, backend: p.backend },
            (e) => emit('chat:token', { text: e.text }),
          ),
        ),
      'chat:cancel': async () => {
        this.chat.cancel();
        return { ok: true };
      },
      'eval:start': (p) =>
        this.evaluation.run(() =>
          runInOwnEngine(
            launchEngine,
            'predict',
            {
              run: runs.folder(p.id),
              model: p.model ? abs(p.model) : null,
              adapter: null,
              dataset: p.dataset ? (p.datasetDir ? p.dataset : abs(p.dataset)) : null,
              datasetDir: p.datasetDir ? abs(p.datasetDir) : null,
              maxSamples: p.maxSamples ?? null,
              maxNewTokens: p.maxNewTokens,
              temperature: p.temperature,
              topP: p.topP,
              // One seed for every model: their answers differ by the model alone.
              seed: 0,
              out: null,
              backend: p.backend,
            },
            (e) => emit('eval:progress', e),
          ),
        ),
      'eval:cancel': async () => {
        this.evaluation.cancel();
        return { ok: true };
      },
      'export:start': (p) =>
        this.exports.run(() =>
          runInOwnEngine(
            launchEngine,
            'export',
            {
              model: abs(p.model),
              adapter: abs(p.adapter),
              out: this.exportFolder(p.out),
              kind: p.kind,
              format: p.format,
              dtype: p.dtype,
              ggufType: p.ggufType,
              maxShardSize: p.maxShardSize,
              overwrite: p.overwrite,
              backend: p.backend,
            },
            (e) => emit('export:progress', e),
          ),
        ),
      'export:cancel': async () => {
        this.exports.cancel();
        return { ok: true };
      },
      'fs:list': (p) => listFolder(p.dir, paths.baseDir),
      'dialog:pick': async (p) => {
        const picked = await services.pick(p);
        if (picked.path) this.picked.add(realPath(picked.path));
        return picked;
      },
      'shell:show': (p) => services.show(abs(p.path)),
    };
  }
}

function failure(message: string): CommandOutcome {
  return { ok: false, error: { message } };
}

function reportInternal(err: unknown, command: string): void {
  process.stderr.write(`tuneboard: internal error in ${command}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
}
