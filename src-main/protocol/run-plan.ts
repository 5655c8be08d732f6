/**
 * Will a run fit, and how long will it take: the forecast the board shows before Start and `tuneboard plan`
 * prints (engine/forecast computes it). Every memory term is named so the board can draw the parts.
 */

/** What the device holds at the step's peak (memory-forecast.ts says what each term counts). */
export const FORECAST_TERMS = ['base weights', 'adapter', 'activations', 'attention', 'mlp', 'lm head', 'weight copy', 'update', 'pool', 'overhead'] as const;
export type ForecastTerm = (typeof FORECAST_TERMS)[number];

/** When in a step its peak happens. */
export const PEAK_MOMENTS = ['lm head', 'forward', 'backward', 'update'] as const;
export type PeakMoment = (typeof PEAK_MOMENTS)[number];

export interface MemoryForecast {
  /** Bytes by term at the peak moment (terms that are not part of it are 0). */
  readonly terms: Readonly<Record<ForecastTerm, number>>;
  /** The tensors' peak (every term but pool and overhead): what `bench` measures as its tensor peak. */
  readonly tensorPeak: number;
  /** What the device must hold: the tensors' peak, tfjs's pool of freed buffers and the engine's overhead. */
  readonly total: number;
  readonly moment: PeakMoment;
}

/** Where the device's memory size comes from. */
export type DeviceMemorySource = 'nvidia-smi' | 'amd-sysfs' | 'unified-memory' | 'wasm-heap' | 'free-ram' | 'user';

export interface DeviceMemory {
  readonly bytes: number;
  readonly source: DeviceMemorySource;
}

/** fits: under 85% of the device; tight: under 100%; will-not-fit: over; unknown: the device's size is not known. */
export type Verdict = 'fits' | 'tight' | 'will-not-fit' | 'unknown';

/** Above this share of the device's memory a run is tight: the driver, the display and fragmentation take some. */
export const TIGHT_SHARE = 0.85;

export function verdictOf(total: number, device: DeviceMemory | null): Verdict {
  if (!device) return 'unknown';
  return total <= TIGHT_SHARE * device.bytes ? 'fits' : total <= device.bytes ? 'tight' : 'will-not-fit';
}

/** The keys of a config a fix may change, with their new values. */
export interface PlanChanges {
  readonly quantization_bit?: 4;
  readonly gradient_checkpointing?: true;
  readonly per_device_train_batch_size?: number;
  readonly gradient_accumulation_steps?: number;
  readonly cutoff_len?: number;
  readonly lora_rank?: number;
}

/** The fixes, in the order a practitioner tries them; 'together' is the first of them, in that order, that fit together when none fits alone. */
export const FIX_KINDS = ['4-bit', 'gradient-checkpointing', 'smaller-batch', 'shorter-cutoff', 'lower-rank', 'together'] as const;
export type FixKind = (typeof FIX_KINDS)[number];

export interface PlanFix {
  readonly kind: FixKind;
  readonly changes: PlanChanges;
  /** The forecast with this fix alone applied. */
  readonly memory: MemoryForecast;
  readonly verdict: Verdict;
  /** shorter-cutoff: training examples the new cutoff truncates (that the current one did not); null when unknown. */
  readonly truncates: number | null;
  /** A resumed run can take it (a lower rank changes the adapter's shape, so it needs a new run). */
  readonly resumable: boolean;
}

/** Where a speed comes from: a run of this model, the speed probe, or none yet. */
export type SpeedSource = 'run' | 'probe';

export interface TimeForecast {
  readonly steps: number;
  /** Tokens one optimizer step processes (padded batches): batch × accumulation × the typical padded length. */
  readonly tokensPerStep: number;
  readonly tokensPerSecond: number;
  readonly source: SpeedSource;
  readonly seconds: number;
}

export interface RunPlan {
  /** Tokens per example the forecast assumes: the longest example within cutoff_len (the batch is padded to it). */
  readonly seq: number;
  readonly batch: number;
  readonly memory: MemoryForecast;
  readonly device: DeviceMemory | null;
  readonly verdict: Verdict;
  /** Empty unless the verdict is will-not-fit or tight. */
  readonly fixes: readonly PlanFix[];
  /** Optimizer steps the run will make; null when the dataset is not known. */
  readonly steps: number | null;
  /** null until a speed is known (a run of this model and backend, or a probe). */
  readonly time: TimeForecast | null;
}

/** Cutoffs the shorter-cutoff fix picks from, and the dataset preview counts examples beyond. */
export const CUTOFF_STEPS = [128, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192] as const;

/** What a run was doing when it ran out of memory. */
export const RUN_PHASES = ['loading the model', 'the forward pass', 'the backward pass', 'the optimizer update', 'evaluation', 'saving a checkpoint'] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

/** A run that ran out of device memory: where, what the forecast said, and the fixes a resume can take that fit. */
export interface OutOfMemory {
  /** The optimizer step it was computing (1-based); 0 before the first. */
  readonly step: number;
  readonly phase: RunPhase;
  /** What the device is: "GPU memory", "the wasm heap", "RAM". */
  readonly memory: string;
  /** The forecast of the run's peak and the device's memory, when known. */
  readonly neededBytes: number | null;
  readonly availableBytes: number | null;
  /** Resumable fixes (PlanFix.resumable), those that fit first; empty when none is known. */
  readonly fixes: readonly PlanFix[];
  /** It ran into a memory limit (TUNEBOARD_MEMORY_LIMIT, --memory-limit), which counts tensors only. */
  readonly limited: boolean;
}

/** What a fix of a run out of memory needs, as its verdict was judged: its tensors against a memory limit, else all it holds. */
export function fixBytes(o: Pick<OutOfMemory, 'limited'>, fix: PlanFix): number {
  return o.limited ? fix.memory.tensorPeak : fix.memory.total;
}
