/**
 * The runs of a runs folder (`<runsDir>/<id>/`): starting, stopping, resuming, listing, showing and deleting
 * them. Each training runs in an engine process of its own, so a crash, a kill or running out of memory
 * takes down only that process: the run is then marked failed in run.json with the reason, its checkpoints
 * stay, and it can be resumed. Shared by the Electron main process and serve mode (no Electron import).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, UserError } from '../engine/errors';
import { listCheckpoints } from '../engine/train/checkpoint-folders';
import { trainConfigToYaml, type LoadedTrainConfig } from '../engine/train/config-file';
import { RunFiles, readRunRecord } from '../engine/train/run-files';
import type { RunDetail, RunSummary } from '../protocol/board-api';
import { newRunRecord, type BackendChoice, type RunRecord } from '../protocol/engine-types';
import type { PlanChanges } from '../protocol/run-plan';
import { outOfMemoryHint, processOutOfMemorySentence } from '../engine/forecast/out-of-memory-text';
import { EngineProcessEnded, type EngineLauncher, type ProcessOutOfMemory } from './engine-host';
import type { EventSink } from './event-sink';
import { LiveRun } from './live-run';
import { CONFIG_FILE, newRunConfig, resumeRunConfig } from './run-config';
import { readRunHistory } from './run-history';
import { isRunId, newRunId } from './run-id';
import { summaryOf } from './run-summary';

export interface RunManagerOptions {
  readonly runsDir: string;
  readonly launchEngine: EngineLauncher;
  readonly emit: EventSink;
  /** Relative paths in a config are taken from here. */
  readonly baseDir: string;
}

export class RunManager {
  private readonly live = new Map<string, LiveRun>();

  constructor(private readonly options: RunManagerOptions) {}

  get runsDir(): string {
    return this.options.runsDir;
  }

  /** The id of the run training now, if any. */
  get activeRun(): string | null {
    return [...this.live.values()].find((r) => r.running)?.id ?? null;
  }

  async start(input: Readonly<Record<string, unknown>>, backend: BackendChoice): Promise<{ id: string }> {
    // Everything up to registering the run is synchronous: two quick starts cannot both pass the check.
    this.refuseSecondTraining();
    const { runsDir, baseDir } = this.options;
    mkdirSync(runsDir, { recursive: true });
    const model = typeof input['model_name_or_path'] === 'string' ? input['model_name_or_path'] : 'model';
    const id = newRunId(runsDir, model);
    const dir = join(runsDir, id);
    const loaded = newRunConfig(input, dir, baseDir);
    mkdirSync(dir);
    const run = new LiveRun(dir, newRunRecord(id, loaded.config), { metrics: [], logs: [], hasCheckpoint: false }, this.options.emit);
    this.live.set(id, run);
    await writeFile(join(dir, CONFIG_FILE), trainConfigToYaml(loaded.config));
    await new RunFiles(dir).writeRun(run.record);
    run.changed();
    this.launch(run, loaded, backend);
    return { id };
  }

  /** Asks the run to stop after its current step; it saves a checkpoint and becomes `stopped` (a run:changed follows). */
  stop(id: string): void {
    const run = this.live.get(id);
    if (!run?.running) throw new UserError(`run ${id} is not running`);
    if (run.stopping) return;
    run.stopping = true;
    run.job?.cancel();
    run.logStopping();
  }

  /** Continues from the last checkpoint; `changes` (a fix of the run's plan) apply from there on and are recorded in its config. */
  async resume(id: string, backend: BackendChoice, changes: PlanChanges = {}): Promise<{ id: string }> {
    this.refuseSecondTraining();
    const dir = this.folder(id);
    const history = await readRunHistory(dir);
    if (!history.record && !existsSync(join(dir, CONFIG_FILE))) throw notARun(id, dir);
    if (history.record?.status === 'completed') throw new UserError(`run ${id} has already completed`, 'Start a new run to train further.');
    if (!history.hasCheckpoint) throw new UserError(`run ${id} has no checkpoint to resume from`, 'Start it again as a new run (a checkpoint is saved every save_steps steps and when a run is stopped).');
    const loaded = await resumeRunConfig(dir, history.record?.config ?? null, changes);
    this.refuseSecondTraining();
    if (Object.keys(changes).length) await writeFile(join(dir, CONFIG_FILE), trainConfigToYaml({ ...loaded.config, resume_from_checkpoint: null }));
    const recorded = history.record ?? newRunRecord(id, loaded.config);
    const record: RunRecord = { ...recorded, config: loaded.config, status: 'running', finished_at: null, error: null, out_of_memory: null };
    // A run of this session keeps what only memory has (the evaluation before its first step).
    const run = this.live.get(id) ?? new LiveRun(dir, record, history, this.options.emit);
    run.record = record;
    this.live.set(id, run);
    run.logResuming();
    run.changed();
    this.launch(run, loaded, backend);
    return { id };
  }

  async list(): Promise<RunSummary[]> {
    const { runsDir } = this.options;
    const entries = existsSync(runsDir) ? await readdir(runsDir, { withFileTypes: true }) : [];
    const summaries = await Promise.all(
      entries.filter((e) => e.isDirectory() && isRunId(e.name)).map(async (e) => this.live.get(e.name)?.summary() ?? (await this.diskSummary(join(runsDir, e.name)))),
    );
    return summaries.filter((s): s is RunSummary => s !== null).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  async get(id: string): Promise<RunDetail> {
    const live = this.live.get(id);
    if (live) return live.detail();
    const dir = this.folder(id);
    const history = await readRunHistory(dir);
    if (!history.record) throw notARun(id, dir);
    return {
      summary: summaryOf(history.record, dir, history.metrics, history.hasCheckpoint, false),
      config: history.record.config,
      metrics: history.metrics,
      evals: history.metrics.flatMap((m) => (m.eval_loss === undefined ? [] : [{ step: m.step, evalLoss: m.eval_loss }])),
      logs: history.logs,
      progress: null,
      health: history.record.health ?? [],
    };
  }

  async delete(id: string): Promise<void> {
    const dir = this.folder(id);
    if (this.live.get(id)?.running) throw new UserError(`run ${id} is running`, 'Stop it first, then delete it.');
    if (!existsSync(join(dir, 'run.json')) && !existsSync(join(dir, CONFIG_FILE))) throw notARun(id, dir);
    await rm(dir, { recursive: true, force: true });
    this.live.delete(id);
    this.options.emit('run:deleted', { id });
  }

  /** Stops every training with a checkpoint; an engine that has not stopped after graceMs is killed. */
  async shutdown(graceMs = 60_000): Promise<void> {
    const running = [...this.live.values()].filter((r) => r.running);
    for (const run of running) this.stop(run.id);
    await Promise.all(
      running.map(async (run) => {
        const timer = setTimeout(() => run.engine?.kill(), graceMs);
        await run.finished;
        clearTimeout(timer);
      }),
    );
  }

  private launch(run: LiveRun, loaded: LoadedTrainConfig, backend: BackendChoice): void {
    const engine = this.options.launchEngine();
    const job = engine.run('train', { config: loaded.config, backend, ignoredKeys: loaded.ignored }, (event) => run.apply(event));
    run.engine = engine;
    run.job = job;
    if (run.stopping) job.cancel();
    run.finished = job.result
      .then(
        () => this.settle(run, null),
        (err: unknown) => this.settle(run, err),
      )
      .catch((err: unknown) => {
        // Writing run.json failed (disk full, folder removed): the board still learns the run ended.
        run.record = { ...run.record, status: 'failed', error: describeError(err) };
        run.changed();
      })
      .finally(() => {
        run.engine = null;
        run.job = null;
        void engine.close();
      });
  }

  /** The run's final state: run.json as the engine left it, or marked failed here when the engine could not say. */
  private async settle(run: LiveRun, err: unknown): Promise<void> {
    const files = new RunFiles(run.dir);
    let record = (await readRunRecord(run.dir)) ?? run.record;
    const checkpoints = await listCheckpoints(run.dir);
    if (err !== null && record.status === 'running') {
      const stepsDone = Math.max(record.steps_done, run.record.steps_done);
      const reason = failureReason(err, stepsDone, checkpoints.length > 0);
      record = {
        ...record,
        status: 'failed',
        finished_at: new Date().toISOString(),
        error: reason,
        steps_done: stepsDone,
        total_steps: record.total_steps ?? run.record.total_steps,
        last_checkpoint: checkpoints.at(-1)?.dir ?? record.last_checkpoint,
      };
      await files.writeRun(record);
      await files.log(`failed: ${reason}`);
    }
    run.record = record;
    run.hasCheckpoint = checkpoints.length > 0;
    run.stopping = false;
    run.logOutcome();
    run.changed();
  }

  private async diskSummary(dir: string): Promise<RunSummary | null> {
    const history = await readRunHistory(dir);
    return history.record ? summaryOf(history.record, dir, history.metrics, history.hasCheckpoint, false) : null;
  }

  /** The folder of run `id`, refusing ids that are not runs of this runs folder. */
  folder(id: string): string {
    if (!isRunId(id)) throw new UserError(`"${id}" is not a run id`);
    const dir = join(this.options.runsDir, id);
    if (!existsSync(dir)) throw new UserError(`there is no run ${id} in ${this.options.runsDir}`);
    return dir;
  }

  private refuseSecondTraining(): void {
    const active = this.activeRun;
    if (active) throw new UserError(`run ${active} is training: TuneBoard trains one run at a time`, 'Wait for it to finish, or stop it, then start or resume this one.');
  }
}

/** Why a run whose engine could not say so itself failed: the engine process ended (for memory, or asked to), or the job failed. */
function failureReason(err: unknown, stepsDone: number, resumable: boolean): string {
  if (!(err instanceof EngineProcessEnded)) return describeError(err);
  if (err.exit.requested) return 'the engine process was ended by TuneBoard before the run could stop';
  if (err.exit.outOfMemory) return `${processOutOfMemorySentence(stepsDone, PROCESS_OUT_OF_MEMORY[err.exit.outOfMemory])}\n${outOfMemoryHint([], resumable)}`;
  return describeError(err);
}

/** How an engine process died for memory, said after "ran out of RAM after step N: ". */
const PROCESS_OUT_OF_MEMORY: Record<ProcessOutOfMemory, string> = {
  'javascript heap': "the engine process's JavaScript heap is full (V8: JavaScript heap out of memory)",
  'oom killer': "the system's out-of-memory killer ended the engine process",
};

function notARun(id: string, dir: string): UserError {
  return new UserError(`${dir} is not a TuneBoard run (no run.json or ${CONFIG_FILE})`, `Only run folders can be opened, resumed or deleted (run ${id}).`);
}
