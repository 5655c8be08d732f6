/**
 * The one typed contract between the board (renderer) and its host (Electron main, or serve mode).
 * Commands are `domain:verb` requests with zod-validated parameters and typed results; events are pushed
 * by the host. Both transports (Electron IPC through the preload, WebSocket in serve mode) carry exactly
 * these messages. Pure data and zod only: the renderer imports this file.
 */
import { z } from 'zod';
import type { DatasetPreview } from './dataset-preview';
import type { RunLogEntry } from './run-log';
import type { OutOfMemory, PlanChanges, RunPlan } from './run-plan';
import { BACKEND_CHOICES, BACKEND_NAMES, GGUF_TYPES, type BackendReport, type ExportProgress, type ExportResult, type HealthKind, type HealthReading, type ModelInfo, type PredictComparison, type PredictProgress, type RunRecord, type StepMetrics } from './engine-types';

export type { DatasetPreview };

const backend = z.enum(BACKEND_CHOICES);
const path = z.string().min(1).max(4096);
const runId = z.string().regex(/^[\w.-]+$/, 'is not a run id');
const planChanges = z
  .object({
    quantization_bit: z.literal(4),
    gradient_checkpointing: z.literal(true),
    per_device_train_batch_size: z.number().int().positive(),
    gradient_accumulation_steps: z.number().int().positive(),
    cutoff_len: z.number().int().positive(),
  })
  .partial()
  .strict() satisfies z.ZodType<Omit<PlanChanges, 'lora_rank'>>;

/** Parameters of every command, validated where they enter the host. */
export const commandParams = {
  'app:info': z.object({}),
  'backend:probe': z.object({ backend }),
  'model:inspect': z.object({ dir: path }),
  'dataset:keys': z.object({ dir: path }),
  'dataset:inspect': z.object({ model: path, dataset: z.string().min(1), datasetDir: path.nullish(), cutoffLen: z.number().int().positive() }),
  /** The config as the forms hold it (TrainConfigInput); the host validates it with trainConfigSchema. output_dir is chosen by the host. */
  'run:start': z.object({ config: z.record(z.string(), z.unknown()), backend }),
  'run:stop': z.object({ id: runId }),
  /** Resumes from the last checkpoint; `changes` (a fix of the run's plan that a resume can take) apply from there on. */
  'run:resume': z.object({ id: runId, backend, changes: planChanges.optional() }),
  /**
   * The forecast of a config before Start (engine/forecast). `device` is the probed backend's device name;
   * `memoryBytes` the user's answer to "How much memory does your GPU have?" (asked where the platform does not
   * tell, and open to correction where it does): when given it is used.
   */
  'run:plan': z.object({ config: z.record(z.string(), z.unknown()), backend: z.enum(BACKEND_NAMES), device: z.string().max(500), memoryBytes: z.number().positive().max(2 ** 50).nullish() }),
  /** Trains the config for about ten seconds, writing nothing, to measure the device's speed on it (the plan's time then uses it). */
  'speed:probe': z.object({ config: z.record(z.string(), z.unknown()), backend: z.enum(BACKEND_NAMES) }),
  'run:list': z.object({}),
  'run:get': z.object({ id: runId }),
  'run:delete': z.object({ id: runId }),
  'chat:send': z.object({
    model: path,
    adapter: path.nullish(),
    messages: z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() })).min(1),
    maxNewTokens: z.number().int().min(1).max(4096),
    temperature: z.number().min(0).max(5),
    topP: z.number().gt(0).max(1),
    /** The same seed for two answers compared side by side; none: a new one each time. */
    seed: z.number().int().nonnegative().max(2 ** 31).nullish(),
    backend,
  }),
  'chat:cancel': z.object({}),
  /**
   * Predict and score a run's models (base, checkpoints, final) on its held-out examples or on a dataset; `model`
   * where the run's base model has moved. Written to a predict-<time> folder in the run.
   */
  'eval:start': z.object({
    id: runId,
    model: path.nullish(),
    dataset: z.string().min(1).nullish(),
    datasetDir: path.nullish(),
    maxSamples: z.number().int().positive().nullish(),
    maxNewTokens: z.number().int().min(1).max(4096),
    temperature: z.number().min(0).max(5),
    topP: z.number().gt(0).max(1),
    backend,
  }),
  'eval:cancel': z.object({}),
  'export:start': z.object({
    model: path,
    adapter: path,
    out: path,
    kind: z.enum(['merged', 'adapter']),
    format: z.enum(['safetensors', 'gguf']).default('safetensors'),
    dtype: z.enum(['auto', 'bf16', 'fp16', 'fp32']),
    ggufType: z.enum(GGUF_TYPES).default('q4_k_m'),
    maxShardSize: z.string().min(1).max(32),
    overwrite: z.boolean(),
    backend,
  }),
  'export:cancel': z.object({}),
  /** Server-side file browser (serve mode has no native dialogs; Electron may use it too). */
  'fs:list': z.object({ dir: path.nullish() }),
  /** A native open dialog; serve mode answers { available: false } and the board shows its own browser. `filters` are file extensions ("json", "jsonl"). */
  'dialog:pick': z.object({ kind: z.enum(['folder', 'file']), title: z.string().max(200), filters: z.array(z.string()).optional() }),
  'shell:show': z.object({ path }),
} as const;

export type CommandName = keyof typeof commandParams;
export type CommandParams<C extends CommandName> = z.input<(typeof commandParams)[C]>;

export interface RunSummary {
  readonly id: string;
  readonly status: RunRecord['status'];
  readonly model: string;
  readonly dataset: string;
  readonly backend: string | null;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly stepsDone: number;
  readonly totalSteps: number | null;
  readonly finalLoss: number | null;
  readonly evalLoss: number | null;
  readonly seconds: number | null;
  /** Why it failed (engine error, or the engine process ending). */
  readonly error: string | null;
  readonly outputDir: string;
  /** Whether a checkpoint exists to resume from. */
  readonly resumable: boolean;
  /** What the health readings said, each kind once, in order (a finished run that diverged is not plain green). */
  readonly health: readonly HealthKind[];
  /** Why and where it ran out of memory, and the fixes a resume can take; null otherwise. */
  readonly outOfMemory: OutOfMemory | null;
}

export interface RunProgress {
  readonly step: number;
  readonly totalSteps: number;
  readonly elapsedSeconds: number;
  readonly etaSeconds: number;
  readonly tokensPerSecond: number;
}

/** Everything the board needs to show a run, live or past: also what a reloaded window restores from. */
export interface RunDetail {
  readonly summary: RunSummary;
  readonly config: Readonly<Record<string, unknown>>;
  readonly metrics: readonly StepMetrics[];
  /** Evaluations, including the one before the first step. */
  readonly evals: ReadonlyArray<{ readonly step: number; readonly evalLoss: number }>;
  readonly logs: readonly string[];
  /** What each of `logs` says as data (run-log.ts), null for a line that is only text; absent for a run read from disk. */
  readonly logEntries?: ReadonlyArray<RunLogEntry | null>;
  readonly progress: RunProgress | null;
  /** Every health reading of the run, in order. */
  readonly health: readonly HealthReading[];
}

export interface FsEntry {
  readonly name: string;
  readonly path: string;
  readonly kind: 'folder' | 'file';
  /** A folder holding config.json and weights, or a dataset_info.json: the browser marks what it can use. */
  readonly hint: 'model' | 'dataset-registry' | 'dataset-file' | null;
}

export interface AppInfo {
  readonly version: string;
  readonly transport: 'ipc' | 'websocket';
  readonly platform: string;
  readonly runsDir: string;
  readonly exportsDir: string;
  /** The embedded demo model and sample dataset, preselected on first launch. */
  readonly demo: { readonly model: string; readonly dataset: string };
  readonly nativeDialogs: boolean;
}

/** What each command resolves to. */
export interface CommandResults {
  'app:info': AppInfo;
  'backend:probe': BackendReport;
  'model:inspect': ModelInfo;
  'dataset:keys': { readonly keys: readonly string[] };
  'dataset:inspect': DatasetPreview;
  'run:start': { readonly id: string };
  'run:stop': { readonly ok: true };
  'run:resume': { readonly id: string };
  'run:plan': RunPlan;
  'speed:probe': { readonly tokensPerSecond: number };
  'run:list': { readonly runs: readonly RunSummary[] };
  'run:get': RunDetail;
  'run:delete': { readonly ok: true };
  'chat:send': { readonly text: string; readonly tokens: number; readonly tokensPerSecond: number };
  'chat:cancel': { readonly ok: true };
  'eval:start': PredictComparison;
  'eval:cancel': { readonly ok: true };
  'export:start': ExportResult;
  'export:cancel': { readonly ok: true };
  'fs:list': { readonly dir: string; readonly parent: string | null; readonly entries: readonly FsEntry[] };
  'dialog:pick': { readonly available: boolean; readonly path: string | null };
  'shell:show': { readonly ok: boolean };
}

/** Events pushed by the host to every connected board. */
export interface BoardEvents {
  /** A run's summary changed (started, status, finished). */
  'run:changed': RunSummary;
  'run:metrics': { readonly id: string; readonly metrics: StepMetrics; readonly progress: RunProgress };
  'run:eval': { readonly id: string; readonly step: number; readonly evalLoss: number };
  /** Every step (metrics come every logging_steps): the progress bar, elapsed time and ETA move with it. */
  'run:progress': { readonly id: string; readonly progress: RunProgress };
  'run:health': { readonly id: string; readonly reading: HealthReading };
  'run:log': { readonly id: string; readonly line: string; readonly entry?: RunLogEntry };
  'run:deleted': { readonly id: string };
  /** The text added to the reply since the previous chat:token; chat:send resolves with the whole reply. */
  'chat:token': { readonly text: string };
  'export:progress': ExportProgress;
  'eval:progress': PredictProgress;
}
export type EventName = keyof BoardEvents;

/** A failed command: `message` is for the user (what is wrong and what to do). */
export interface CommandError {
  readonly message: string;
}

/**
 * The board's only door to the host. Implemented over Electron IPC (window.tuneboard from the preload) and
 * over WebSocket (serve mode). `on` returns the function that removes the listener.
 */
export interface BoardClient {
  invoke<C extends CommandName>(command: C, params: CommandParams<C>): Promise<CommandResults[C]>;
  on<E extends EventName>(event: E, listener: (payload: BoardEvents[E]) => void): () => void;
}

/** WebSocket frames in serve mode. */
export type ClientFrame = { readonly kind: 'invoke'; readonly id: number; readonly command: CommandName; readonly params: unknown };
export type ServerFrame =
  | { readonly kind: 'result'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly kind: 'result'; readonly id: number; readonly ok: false; readonly error: CommandError }
  | { readonly kind: 'event'; readonly event: EventName; readonly payload: unknown };
