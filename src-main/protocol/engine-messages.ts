/**
 * Messages between the host (Electron main or serve mode) and an engine process (`tuneboard engine-worker`,
 * an Electron utility process or a child_process.fork). The host sends jobs by id and may cancel them; the
 * engine answers each job with events, then exactly one result or error. Errors carry the user-facing text
 * (describeError): no stack trace crosses this boundary. Types only, plus zod guards for what arrives.
 */
import { z } from 'zod';
import type { DatasetPreview } from './dataset-preview';
import type { DeviceMemory, RunPlan, SpeedSource } from './run-plan';
import type { BackendChoice, BackendName, BackendReport, ExportDtype, ExportFormat, ExportProgress, GgufType, ExportResult, ModelInfo, PredictComparison, PredictProgress, TrainEvent, TrainResult } from './engine-types';
import type { TrainConfig } from './train-config';

export interface ChatJobMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** Every job: what it takes, what it streams while it runs, what it resolves to. */
export interface EngineJobs {
  'model:inspect': { params: { readonly dir: string }; event: never; result: ModelInfo };
  'dataset:keys': { params: { readonly dir: string }; event: never; result: { readonly keys: readonly string[] } };
  'dataset:inspect': {
    params: { readonly model: string; readonly dataset: string; readonly datasetDir: string | null; readonly cutoffLen: number };
    event: never;
    result: DatasetPreview;
  };
  'backend:probe': { params: { readonly backend: BackendChoice }; event: never; result: BackendReport };
  /** A config's memory and time forecast, read from its model's headers and its tokenized dataset (engine/jobs/plan-job.ts). */
  'run:plan': {
    params: { readonly config: TrainConfig; readonly backend: BackendName; readonly device: DeviceMemory | null; readonly speed: { readonly tokensPerSecond: number; readonly source: SpeedSource } | null };
    event: never;
    result: RunPlan;
  };
  /** About ten seconds of training on the config, writing nothing: its tokens per second. */
  'speed:probe': { params: { readonly config: TrainConfig; readonly backend: BackendName }; event: never; result: { readonly tokensPerSecond: number } };
  train: {
    params: { readonly config: TrainConfig; readonly backend: BackendChoice; readonly ignoredKeys: readonly string[] };
    event: TrainEvent;
    result: TrainResult;
  };
  chat: {
    params: {
      readonly model: string;
      readonly adapter: string | null;
      readonly messages: readonly ChatJobMessage[];
      readonly maxNewTokens: number;
      /** 0 means greedy decoding. */
      readonly temperature: number;
      readonly topP: number;
      /** Seeds sampling (two answers compared side by side use one seed); none: a new one each time. */
      readonly seed: number | null;
      readonly backend: BackendChoice;
    };
    /** The text added since the previous token event. */
    event: { readonly type: 'token'; readonly text: string };
    result: { readonly text: string; readonly tokens: number; readonly tokensPerSecond: number };
  };
  /** Predict and score (engine/jobs/run-evaluation.ts): a run's models, or a model and adapter, on a dataset. */
  predict: {
    params: {
      readonly run: string | null;
      readonly model: string | null;
      readonly adapter: string | null;
      readonly dataset: string | null;
      readonly datasetDir: string | null;
      readonly maxSamples: number | null;
      readonly maxNewTokens: number;
      /** 0 means greedy decoding. */
      readonly temperature: number;
      readonly topP: number;
      readonly seed: number;
      readonly out: string | null;
      readonly backend: BackendChoice;
    };
    event: PredictProgress;
    result: PredictComparison;
  };
  export: {
    params: {
      readonly model: string;
      readonly adapter: string;
      readonly out: string;
      readonly kind: 'merged' | 'adapter';
      readonly format: ExportFormat;
      readonly dtype: ExportDtype;
      readonly ggufType: GgufType;
      /** "5GB", "500MB", ... as transformers writes it. */
      readonly maxShardSize: string;
      readonly overwrite: boolean;
      readonly backend: BackendChoice;
    };
    event: ExportProgress;
    result: ExportResult;
  };
}

export type JobName = keyof EngineJobs;
export type JobParams<J extends JobName> = EngineJobs[J]['params'];
export type JobEvent<J extends JobName> = EngineJobs[J]['event'];
export type JobResult<J extends JobName> = EngineJobs[J]['result'];

export const JOB_NAMES = ['model:inspect', 'dataset:keys', 'dataset:inspect', 'backend:probe', 'run:plan', 'speed:probe', 'train', 'chat', 'predict', 'export'] as const satisfies readonly JobName[];

/** Host → engine. `shutdown` asks the process to exit once it has answered (jobs in flight are cancelled). */
export type HostMessage =
  | { readonly kind: 'job'; readonly id: number; readonly job: JobName; readonly params: unknown }
  | { readonly kind: 'cancel'; readonly id: number }
  | { readonly kind: 'shutdown' };

/** Engine → host. `ready` is sent once, when the process listens for jobs. */
export type EngineMessage =
  | { readonly kind: 'ready'; readonly pid: number }
  | { readonly kind: 'event'; readonly id: number; readonly event: unknown }
  | { readonly kind: 'result'; readonly id: number; readonly result: unknown }
  | { readonly kind: 'error'; readonly id: number; readonly message: string };

const jobId = z.number().int().nonnegative();

export const hostMessageSchema: z.ZodType<HostMessage> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('job'), id: jobId, job: z.enum(JOB_NAMES), params: z.unknown() }),
  z.object({ kind: z.literal('cancel'), id: jobId }),
  z.object({ kind: z.literal('shutdown') }),
]);

export const engineMessageSchema: z.ZodType<EngineMessage> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ready'), pid: z.number().int() }),
  z.object({ kind: z.literal('event'), id: jobId, event: z.unknown() }),
  z.object({ kind: z.literal('result'), id: jobId, result: z.unknown() }),
  z.object({ kind: z.literal('error'), id: jobId, message: z.string() }),
]);
