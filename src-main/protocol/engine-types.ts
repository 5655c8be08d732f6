/**
 * Plain data that crosses process boundaries (engine → main → renderer, and CLI --json output).
 * No engine or Node imports: the renderer imports this file too.
 */
import type { OutOfMemory } from './run-plan';

/** The compute backends, in the order `auto` tries them. */
export const BACKEND_NAMES = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export const BACKEND_CHOICES = ['auto', ...BACKEND_NAMES] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
/** Backends whose tensors live in a GPU's memory. */
export const isGpuBackend = (name: BackendName): boolean => name === 'webgpu' || name === 'tensorflow';

export interface BackendReport {
  readonly name: BackendName;
  readonly device: string;
  readonly skipped: ReadonlyArray<{ readonly name: BackendName; readonly reason: string }>;
}

export interface ModelInfo {
  readonly dir: string;
  readonly architecture: string;
  readonly modelType: string;
  readonly layers: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  readonly maxPositionEmbeddings: number;
  readonly tiedEmbeddings: boolean;
  readonly parameters: number;
  /** float32, float16 or bfloat16, as config.json names it. */
  readonly dtype: string;
  /** How a pre-quantized checkpoint stores its projections ("bitsandbytes 4-bit NF4, double quantization"); null when not. */
  readonly quantization: string | null;
  /** Bytes of the weights as stored. */
  readonly bytes: number;
  readonly files: number;
  readonly chatTemplate: boolean;
  /** Module names LoRA can target in this architecture (q_proj, ..., down_proj). */
  readonly linearLayers: readonly string[];
}

/** Memory in use while a job runs: GPU memory when a GPU backend runs and can be measured, else this process. */
export interface MemoryReading {
  readonly kind: 'gpu' | 'process';
  /** Where the number comes from: nvidia-smi (whole device), the backend's own allocation counter, or process RSS. */
  readonly source: 'nvidia-smi' | 'backend' | 'process';
  readonly used: number;
  readonly total: number | null;
}

/** One line of metrics.jsonl: an optimizer step that was logged (every logging_steps). */
export interface StepMetrics {
  readonly step: number;
  /** Epochs done, fractional. */
  readonly epoch: number;
  /** Token-normalised training loss, averaged over the steps since the previous log line. */
  readonly loss: number;
  /** Learning rate used for this step. */
  readonly lr: number;
  /** Global gradient norm before clipping. */
  readonly grad_norm: number;
  /** Supervised (trained) tokens of this step. */
  readonly tokens: number;
  /** Input (non-padding) tokens processed per second over the logged steps. */
  readonly tokens_per_s: number;
  readonly memory: MemoryReading;
  readonly eval_loss?: number;
  /** What the curves said since the previous line (health-monitor.ts). */
  readonly health?: readonly HealthReading[];
}

export const HEALTH_KINDS = ['diverging', 'not-moving', 'overfitting', 'grad-spike', 'non-finite'] as const;
export type HealthKind = (typeof HEALTH_KINDS)[number];

/**
 * What the engine reads from a run's curves, in words a user understands: what was seen, with its numbers, and
 * one change to try. `values` are those numbers by name, for the board to say the same in the user's language.
 */
export interface HealthReading {
  readonly step: number;
  readonly kind: HealthKind;
  /** 'warn': the run goes on; 'error': it stopped the run. */
  readonly severity: 'warn' | 'error';
  readonly values: Readonly<Record<string, number>>;
  readonly message: string;
  readonly advice: string;
}

export type RunStatus = 'running' | 'completed' | 'stopped' | 'failed';

/** What a training job reports while it runs; the CLI prints these, the board charts them. */
export type TrainEvent =
  | { readonly type: 'log'; readonly level: 'info' | 'warn'; readonly message: string }
  | {
      readonly type: 'started';
      readonly backend: BackendReport;
      readonly totalSteps: number;
      readonly startStep: number;
      readonly trainExamples: number;
      readonly evalExamples: number;
      readonly trainableParameters: number;
    }
  | { readonly type: 'step'; readonly metrics: StepMetrics; readonly elapsedSeconds: number; readonly etaSeconds: number; readonly totalSteps: number }
  /** Every step, logged or not, so progress moves whatever logging_steps is. Elapsed counts the run's training time across resumes. */
  | { readonly type: 'progress'; readonly step: number; readonly totalSteps: number; readonly elapsedSeconds: number; readonly etaSeconds: number }
  | { readonly type: 'health'; readonly reading: HealthReading }
  | { readonly type: 'eval'; readonly step: number; readonly evalLoss: number }
  | { readonly type: 'checkpoint'; readonly step: number; readonly path: string };

export interface TrainResult {
  readonly status: Exclude<RunStatus, 'running' | 'failed'>;
  readonly outputDir: string;
  readonly steps: number;
  readonly finalLoss: number | null;
  readonly evalLoss: number | null;
  readonly seconds: number;
}

export interface EvalResult {
  readonly loss: number;
  readonly perplexity: number;
  readonly tokens: number;
  readonly examples: number;
}

/** run.json: everything about a run that is not a metric line. */
export interface RunRecord {
  readonly id: string;
  readonly status: RunStatus;
  /** The validated config, every default filled in (TrainConfig). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly backend: string | null;
  readonly device: string | null;
  readonly versions: Readonly<Record<string, string>>;
  readonly started_at: string;
  readonly finished_at: string | null;
  readonly timings: { readonly load_s: number | null; readonly train_s: number | null; readonly total_s: number | null };
  readonly steps_done: number;
  readonly total_steps: number | null;
  readonly final_loss: number | null;
  readonly eval_loss: number | null;
  readonly trainable_parameters: number | null;
  readonly examples: { readonly train: number; readonly eval: number } | null;
  readonly last_checkpoint: string | null;
  readonly error: string | null;
  /** Every health reading of the run, in order (absent in run.json files of older versions). */
  readonly health?: readonly HealthReading[];
  /** Set when the run failed for lack of device memory (absent in older run.json files). */
  readonly out_of_memory?: OutOfMemory | null;
}

/** Predict and score (jobs/predict-job.ts): how far it is. */
export interface PredictProgress {
  /** The model being evaluated (base, step-25, final). */
  readonly target: string;
  readonly examplesDone: number;
  readonly examples: number;
  /** Over every model: generations done and to do. */
  readonly done: number;
  readonly total: number;
  readonly etaSeconds: number;
}

/** One model's scores, as LLaMA-Factory's predict_results.json names them (predict_bleu-4, predict_rouge-1, ...). */
export interface PredictTargetResult {
  readonly name: string;
  readonly adapter: string | null;
  readonly samples: number;
  /** Stopped before every example was scored: the metrics are over `samples` only. */
  readonly partial: boolean;
  readonly metrics: Readonly<Record<string, number>> | null;
  readonly seconds: number;
}

/** Several models on the same examples: their metrics, the best one, and each example's predictions side by side. */
export interface PredictComparison {
  readonly out: string;
  readonly targets: readonly PredictTargetResult[];
  /** The model with the highest ROUGE-L among those that scored every example. */
  readonly best: string | null;
  readonly examples: ReadonlyArray<{ readonly prompt: string; readonly label: string; readonly predictions: Readonly<Record<string, string>> }>;
}

/** run.json of a run that has just begun: only its id, config and start are known. */
export function newRunRecord(id: string, config: Readonly<Record<string, unknown>>, startedAt = new Date().toISOString()): RunRecord {
  return {
    id,
    status: 'running',
    config,
    backend: null,
    device: null,
    versions: {},
    started_at: startedAt,
    finished_at: null,
    timings: { load_s: null, train_s: null, total_s: null },
    steps_done: 0,
    total_steps: null,
    final_loss: null,
    eval_loss: null,
    trainable_parameters: null,
    examples: null,
    last_checkpoint: null,
    error: null,
  };
}

export type ExportDtype = 'auto' | 'bf16' | 'fp16' | 'fp32';
export type ExportFormat = 'safetensors' | 'gguf';
/** GGUF's tensor types, by llama.cpp's names; q4_k_m mixes Q4_K and Q6_K as llama-quantize does. */
export const GGUF_TYPES = ['f32', 'f16', 'bf16', 'q8_0', 'q4_k_m'] as const;
export type GgufType = (typeof GGUF_TYPES)[number];

/** The check after a GGUF export: llama.cpp itself loads the file and continues a chat prompt greedily. */
export type LlamaCppCheckResult =
  | {
      readonly available: true;
      /** Leading tokens equal to TuneBoard's own greedy continuation, of `total`. */
      readonly agree: number;
      readonly total: number;
      /** Steps where llama.cpp, fed our tokens so far, chose otherwise (a near tie flips one token, not the rest). */
      readonly forcedMismatches: readonly number[];
      /** Whether llama.cpp tokenizes the prompt's text into our ids (the tokenizer was written right). */
      readonly tokenizationMatches: boolean | null;
    }
  | { readonly available: false; readonly reason: string };

export interface GgufExportInfo {
  readonly file: string;
  readonly type: GgufType;
  /** Tensors of each ggml type (F32, F16, Q4_K, Q6_K, ...). */
  readonly tensorTypes: Readonly<Record<string, number>>;
  /** The Ollama Modelfile beside the file, and how to use it. */
  readonly modelfile: string;
  /** The Modelfile's text, for the board to show (it reads no files). */
  readonly modelfileText: string;
  readonly ollamaCommand: string;
  readonly llamaCpp: LlamaCppCheckResult | null;
}

export interface ExportProgress {
  readonly phase: 'merging' | 'verifying';
  readonly tensorsDone: number;
  readonly tensorsTotal: number;
  readonly bytesWritten: number;
  readonly bytesTotal: number;
}

export interface ExportVerification {
  /** Largest |logit| difference between the exported model and base + adapter on the probe. */
  readonly maxAbsDiff: number;
  readonly tolerance: number;
  readonly probeTokens: number;
  readonly ok: boolean;
}

/** What an export wrote; also saved as export.json beside the weights. */
export interface ExportResult {
  readonly out: string;
  readonly kind: 'merged' | 'adapter';
  readonly format: ExportFormat;
  readonly baseModel: string;
  readonly adapter: string;
  /** float32, float16 or bfloat16 (merged exports). */
  readonly dtype: string | null;
  readonly files: readonly string[];
  readonly bytes: number;
  readonly tensors: number;
  readonly mergedModules: number;
  readonly verification: ExportVerification | null;
  /** A GGUF export: its file, types, Modelfile and llama.cpp's check. */
  readonly gguf: GgufExportInfo | null;
  /** What the user should know about how it was made (a 4-bit base merged into its dequantized weights). */
  readonly note: string | null;
  readonly seconds: number;
  /** Peak resident memory of the exporting process at the end of the merge, and after verification (which loads whole models). */
  readonly peakMemory: { readonly merge: number; readonly verify: number | null };
}
