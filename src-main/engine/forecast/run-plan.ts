/**
 * A run's plan before it starts: its memory forecast against the device, a verdict, the fixes that make it fit
 * (each with its own forecast) and how long it will take. The same for the board, `tuneboard plan`, and the
 * message of a run that ran out of memory.
 */
import type { BackendName } from '../../protocol/engine-types';
import { verdictOf, CUTOFF_STEPS, type DeviceMemory, type MemoryForecast, type PlanChanges, type PlanFix, type RunPlan, type SpeedSource, type TimeForecast } from '../../protocol/run-plan';
import type { TrainConfig } from '../../protocol/train-config';
import type { TensorDtype } from '../formats/dtype';
import type { ModelConfig } from '../formats/model-config';
import { resolveTargets } from '../lora/lora-config';
import { LINEAR_LAYERS, modelLayout } from '../model/model-layout';
import { storageOfBits, storagePlan, type WeightStorage } from '../model/weight-storage';
import { defaultChunkElements } from '../ops/lm-head-cross-entropy';
import { forecastMemory } from './memory-forecast';

/** The model as its folder (or a bench shape) describes it, without loading a weight. */
export interface PlanModel {
  readonly config: ModelConfig;
  /** The stored dtype of a weight (its safetensors header). */
  dtypeOf(name: string): TensorDtype;
  /** The folder stores its projections in bitsandbytes 4-bit. */
  readonly prequantized: boolean;
}

/** What is known of the training set's token lengths (before truncation). */
export interface PlanData {
  readonly examples: number;
  readonly maxTokens: number;
  /** Mean tokens an example trains on (within the cutoff). */
  readonly meanTokens: number;
  /** Examples longer than each of CUTOFF_STEPS (those not listed: unknown). */
  readonly longerThan: ReadonlyArray<readonly [cutoff: number, examples: number]>;
}

/** The config keys a plan depends on. */
export type PlanSettings = Pick<
  TrainConfig,
  'lora_rank' | 'lora_target' | 'per_device_train_batch_size' | 'gradient_accumulation_steps' | 'cutoff_len' | 'quantization_bit' | 'gradient_checkpointing' | 'num_train_epochs' | 'max_steps'
>;

export interface PlanInput {
  readonly model: PlanModel;
  readonly settings: PlanSettings;
  readonly backend: BackendName;
  readonly device: DeviceMemory | null;
  readonly data: PlanData | null;
  readonly speed: { readonly tokensPerSecond: number; readonly source: SpeedSource } | null;
}

const MIN_RANK = 4;

export function planRun(input: PlanInput): RunPlan {
  const { settings: s, data, device } = input;
  const memory = forecastFor(input, s);
  const verdict = verdictOf(memory.total, device);
  const steps = data ? stepsOf(s, data.examples) : null;
  return {
    seq: seqOf(s, data),
    batch: s.per_device_train_batch_size,
    memory,
    device,
    verdict,
    fixes: verdict === 'will-not-fit' || verdict === 'tight' ? fixesFor(input) : [],
    steps,
    time: steps !== null && data && input.speed ? timeOf(s, data, steps, input.speed) : null,
  };
}

/** The step's memory for a model, settings and backend. */
export function forecastFor(input: Pick<PlanInput, 'model' | 'backend' | 'data'>, s: PlanSettings): MemoryForecast {
  return forecastStep(input.model, input.backend, {
    storage: storageOfBits(s.quantization_bit ?? null),
    rank: s.lora_rank,
    targets: resolveTargets(s.lora_target, LINEAR_LAYERS),
    batch: s.per_device_train_batch_size,
    seq: seqOf(s, input.data),
    gradientCheckpointing: s.gradient_checkpointing,
  });
}

/** One training step's shape: what `bench` runs, and what a config's batches come to. */
export interface StepShape {
  readonly storage: WeightStorage;
  readonly rank: number;
  readonly targets: readonly string[];
  readonly batch: number;
  readonly seq: number;
  readonly gradientCheckpointing: boolean;
}

export function forecastStep(model: PlanModel, backend: BackendName, step: StepShape): MemoryForecast {
  const { config } = model;
  const layout = modelLayout(config);
  const webgpu = backend === 'webgpu';
  return forecastMemory({
    ...step,
    layout,
    heads: { query: config.numHeads, keyValue: config.numKvHeads, dim: config.headDim },
    storage: storagePlan(layout, { storage: step.storage, prequantized: model.prequantized, webgpu, dtypeOf: (name) => model.dtypeOf(name) }),
    backend,
    chunkElements: defaultChunkElements(webgpu),
  });
}

/** Batches are padded to their longest example: at worst the dataset's longest, within the cutoff. */
function seqOf(s: PlanSettings, data: PlanData | null): number {
  return Math.min(s.cutoff_len, data?.maxTokens ?? s.cutoff_len);
}

/** As DataOrder counts them: max_steps, or ceil(epochs × steps an epoch). */
function stepsOf(s: PlanSettings, examples: number): number {
  if (s.max_steps > 0) return s.max_steps;
  const perEpoch = Math.ceil(Math.ceil(examples / s.per_device_train_batch_size) / s.gradient_accumulation_steps);
  return Math.max(1, Math.ceil(s.num_train_epochs * perEpoch));
}

function timeOf(s: PlanSettings, data: PlanData, steps: number, speed: NonNullable<PlanInput['speed']>): TimeForecast {
  // Speeds count the examples' own tokens (not padding), so padding's cost is in the speed already.
  const tokensPerStep = s.per_device_train_batch_size * s.gradient_accumulation_steps * data.meanTokens;
  return { steps, tokensPerStep, tokensPerSecond: speed.tokensPerSecond, source: speed.source, seconds: (steps * tokensPerStep) / speed.tokensPerSecond };
}

/**
 * The fixes in the order a practitioner tries them, each alone on the current settings, each taken as far as
 * it must go to fit (or as far as it can): 4-bit base, gradient checkpointing, a smaller batch with more
 * accumulation, a shorter cutoff, a lower rank.
 */
function fixesFor(input: PlanInput): PlanFix[] {
  const s = input.settings;
  const current = forecastFor(input, s).total;
  const fits = (changes: PlanChanges) => verdictOf(forecastFor(input, { ...s, ...changes }).total, input.device) === 'fits';
  const fix = (kind: PlanFix['kind'], changes: PlanChanges): PlanFix => {
    const memory = forecastFor(input, { ...s, ...changes });
    const cutoff = changes.cutoff_len;
    return {
      kind,
      changes,
      memory,
      verdict: verdictOf(memory.total, input.device),
      truncates: cutoff === undefined ? null : truncatedBy(input.data, cutoff, s.cutoff_len),
      resumable: changes.lora_rank === undefined,
    };
  };
  // Each alone, taken as far as it must go to fit (or as far as it can); one that saves nothing here (4-bit
  // where weights are widened to float32 anyway) is not offered.
  const steps = fixSteps(input, s, fits);
  const fixes = steps.map(([kind, changes]) => fix(kind, changes)).filter((f) => f.memory.total < current);
  if (fixes.length && !fixes.some((f) => f.verdict === 'fits')) {
    // None fits alone: add them in order, each as far as it must go on top of those before, until they fit.
    let together: PlanChanges = {};
    for (const kind of FIX_ORDER) {
      if (fits(together)) break;
      const next = fixSteps(input, { ...s, ...together }, (c) => fits({ ...together, ...c })).find(([k]) => k === kind);
      const total = (c: PlanChanges) => forecastFor(input, { ...s, ...c }).total;
      if (next && total({ ...together, ...next[1] }) < total(together)) together = { ...together, ...next[1] };
    }
    if (Object.keys(together).length > 1) fixes.push(fix('together', together));
  }
  return fixes;
}

const FIX_ORDER = ['4-bit', 'gradient-checkpointing', 'smaller-batch', 'shorter-cutoff', 'lower-rank'] as const;

/** Each fix's changes on settings `s`: the smallest step that fits, else the furthest it goes. */
function fixSteps(input: PlanInput, s: PlanSettings, fits: (changes: PlanChanges) => boolean): Array<[(typeof FIX_ORDER)[number], PlanChanges]> {
  const steps: Array<[(typeof FIX_ORDER)[number], PlanChanges]> = [];
  if (s.quantization_bit !== 4 && !input.model.prequantized) steps.push(['4-bit', { quantization_bit: 4 }]);
  if (!s.gradient_checkpointing) steps.push(['gradient-checkpointing', { gradient_checkpointing: true }]);
  const effective = s.per_device_train_batch_size * s.gradient_accumulation_steps;
  const batches = divisorsBelow(s.per_device_train_batch_size);
  if (batches.length) {
    const batch = batches.find((b) => fits(batchChanges(b, effective))) ?? batches[batches.length - 1]!;
    steps.push(['smaller-batch', batchChanges(batch, effective)]);
  }
  const cutoffs = CUTOFF_STEPS.filter((c) => c < seqOf(s, input.data)).reverse();
  if (cutoffs.length) steps.push(['shorter-cutoff', { cutoff_len: cutoffs.find((c) => fits({ cutoff_len: c })) ?? cutoffs[cutoffs.length - 1]! }]);
  const ranks: number[] = [];
  for (let r = Math.floor(s.lora_rank / 2); r >= MIN_RANK; r = Math.floor(r / 2)) ranks.push(r);
  if (ranks.length) steps.push(['lower-rank', { lora_rank: ranks.find((r) => fits({ lora_rank: r })) ?? ranks[ranks.length - 1]! }]);
  return steps;
}

/** The same effective batch (batch × accumulation) with micro-batches of `batch`. */
function batchChanges(batch: number, effective: number): PlanChanges {
  return { per_device_train_batch_size: batch, gradient_accumulation_steps: Math.ceil(effective / batch) };
}

/** Batch sizes below n that divide it, largest first, so the effective batch stays exactly the same. */
function divisorsBelow(n: number): number[] {
  const out: number[] = [];
  for (let b = n - 1; b >= 1; b--) if (n % b === 0) out.push(b);
  return out;
}

/** Examples the new cutoff truncates that the old one kept whole. */
function truncatedBy(data: PlanData | null, cutoff: number, old: number): number | null {
  const longer = (c: number) => (c >= (data?.maxTokens ?? Infinity) ? 0 : data?.longerThan.find(([k]) => k === c)?.[1]);
  const now = longer(cutoff);
  const before = longer(old) ?? (old >= (data?.maxTokens ?? Infinity) ? 0 : undefined);
  return now === undefined || before === undefined ? null : now - before;
}
