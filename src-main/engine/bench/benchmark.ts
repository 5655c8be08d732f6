/**
 * `tuneboard bench`: LoRA training steps on a model (a folder, or random weights of a real shape), timed
 * after warm-up, split into forward, backward and optimizer, with peak memory and, on request, the time
 * per tfjs kernel. Every step is synchronised on its results, so the times are what a training run sees.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import type { BackendName, BackendReport } from '../../protocol/engine-types';
import * as tf from '../backend/tf';
import { parseModelConfig, readModelConfig, type ModelConfig } from '../formats/model-config';
import { ModelWeights } from '../formats/model-weights';
import { MemoryProbe, peakResidentBytes } from '../backend/memory-probe';
import { LoraAdapter } from '../lora/lora-adapter';
import type { CausalLM } from '../model/causal-lm';
import { LINEAR_LAYERS } from '../model/model-layout';
import { buildModel } from '../model/load-model';
import type { WeightStorage } from '../model/weight-storage';
import { causalLmLossSum } from '../model/loss';
import { GemmTuner, type TuningReport } from '../ops/gemm/gemm-tuning';
import { onWebgpu } from '../ops/webgpu-kernel';
import { seededRandom } from '../seeded-random';
import type { Batch } from '../data';
import { AdamW } from '../train/adamw';
import { queueUpdate } from '../train/gradients';
import { microBatchGradients, queueStep, readStep } from '../train/train-step';
import { versions } from '../version';
import { GpuUsage, totalByKernel, type ProgramTime } from './gpu-usage';
import { TensorPeak } from './tensor-peak';
import { releasePooledMemory } from '../backend/buffer-pool';
import type { MemoryForecast } from '../../protocol/run-plan';
import { forecastStep, type PlanModel } from '../forecast/run-plan';
import { planModelOf } from '../forecast/plan-model';
import { cutShape, type ShapeCut, type ShapeName } from './model-shapes';
import { RandomWeights } from './random-weights';

export interface BenchOptions {
  readonly model: { readonly kind: 'dir'; readonly dir: string } | { readonly kind: 'shape'; readonly name: ShapeName; readonly cut: ShapeCut };
  readonly batch: number;
  readonly seq: number;
  readonly steps: number;
  readonly warmup: number;
  readonly rank: number;
  readonly profile: boolean;
  /** Where to write a V8 CPU profile of the timed steps (JavaScript time: op dispatch, tfjs bookkeeping, GPU waits). */
  readonly cpuProfile: string | null;
  readonly gradientCheckpointing: boolean;
  /** How the base weights are kept (load-model.ts): float32, 16-bit as stored, or the projections in NF4. */
  readonly storage: WeightStorage;
  /** On webgpu, time the candidate plans of the first warm-up step's matrix products and keep the fastest (gemm-tuning.ts); a second warm-up step then runs them. */
  readonly tune: boolean;
  readonly onStep?: (done: number, total: number) => void;
}

export interface BenchResult {
  readonly model: string;
  readonly shape: { readonly layers: number; readonly hidden: number; readonly vocab: number; readonly parameters: number };
  readonly backend: BackendName;
  readonly device: string;
  readonly versions: Record<string, string>;
  readonly date: string;
  readonly batch: number;
  readonly seq: number;
  readonly rank: number;
  readonly steps: number;
  readonly gradientCheckpointing: boolean;
  readonly storage: WeightStorage;
  /** Device bytes of the base weights as kept: all of them, and the decoder's seven projections. */
  readonly baseBytes: { readonly total: number; readonly projections: number };
  readonly trainableParameters: number;
  readonly tokensPerSecond: number;
  /**
   * Mean seconds per training step (as the trainer runs it), and its parts each timed on its own: forward,
   * backward (forward+backward less forward) and optimizer (the update). The step queues its update behind the
   * backward pass, so on a GPU the parts can add up to more than the step.
   */
  readonly stepSeconds: { readonly total: number; readonly forward: number; readonly backward: number; readonly optimizer: number };
  /**
   * Mean seconds the JavaScript thread took to queue a step (forward, backward and the update; a GPU backend
   * returns before the GPU has run it). Near the step's time, the GPU is waiting on the host (op dispatch, tfjs's
   * bookkeeping), and faster kernels would not help; on wasm and cpu the work itself runs on this thread.
   */
  readonly queueSeconds: number;
  /** On webgpu, the GPU programs one training step dispatches (forward, backward and optimizer). */
  readonly dispatchesPerStep: number | null;
  /** The device's memory in use (nvidia-smi, else the backend's own count) or the process's peak RSS (wasm's heap never shrinks). */
  readonly peakMemory: { readonly kind: 'gpu' | 'process'; readonly source: string; readonly bytes: number };
  /** The most bytes tfjs's tensors held at once: on webgpu its buffers in use (not the pool nvidia-smi also counts). */
  readonly peakTensorBytes: number;
  /** On webgpu, the most bytes of GPU buffers tfjs had at once: tensors plus its pool of freed buffers (nvidia-smi less the driver's own). */
  readonly peakAllocatedBytes: number | null;
  /** The memory forecast of this step (forecast/memory-forecast.ts), to set beside the measured peaks. */
  readonly forecast: MemoryForecast;
  /** With `profile`: one extra step's time by GPU program (webgpu, timestamp queries) or by tfjs kernel, largest first. */
  readonly profile: readonly ProgramTime[] | null;
  /** With `tune` on webgpu (and a warm-up step to learn the products from): the plans measured, before the timed steps. */
  readonly tuning: TuningReport | null;
}

export async function runBenchmark(o: BenchOptions, backend: BackendReport): Promise<BenchResult> {
  const { config, weights, label, plan } = await source(o.model);
  const { model, base } = await buildModel(config, weights, { storage: o.storage });
  if (weights instanceof ModelWeights) await weights.close();
  const lora = { r: o.rank, alpha: 2 * o.rank, dropout: 0, targetModules: LINEAR_LAYERS, useRslora: false, baseModel: null };
  const adapter = LoraAdapter.attach(model, lora, { kind: 'peft-default', seed: 0 });
  const optimizer = new AdamW(adapter.parameters(), { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
  const memory = new MemoryProbe(backend.name);
  const batch = randomBatch(o.batch, o.seq, Math.min(config.vocabSize, 1024));
  const times = { total: 0, forward: 0, forwardBackward: 0, update: 0, queue: 0 };
  const gpu = new GpuUsage();
  const tensors = new TensorPeak();
  const tuner = o.tune && o.warmup > 0 && onWebgpu() ? new GemmTuner() : null;
  let tuning: TuningReport | null = null;
  let timedPrograms = 0;
  let stopCpuProfile: ((file: string) => Promise<void>) | null = null;
  // What an earlier job in this process left in tfjs's pool would count as this step's.
  releasePooledMemory();
  gpu.start();
  tensors.start();
  try {
    for (let i = 0; i < o.warmup + o.steps; i++) {
      if (i === o.warmup && o.cpuProfile) stopCpuProfile = await startCpuProfile();
      const before = gpu.programs;
      const step = () => trainStep(model, batch, adapter, optimizer, o.gradientCheckpointing);
      const t = await (tuner && i === 0 ? tuner.watch(step) : step());
      if (i >= o.warmup) timedPrograms += gpu.programs - before;
      // Tuned after the first warm-up step, so the next one runs the chosen plans and refills the buffer pool.
      if (tuner && i === 0) tuning = await tuner.tune();
      await memory.read();
      if (i >= o.warmup) {
        times.total += t.total;
        times.queue += t.queue;
        const parts = await timeParts(model, batch, adapter, optimizer, o.gradientCheckpointing);
        times.forwardBackward += parts.forwardBackward;
        times.update += parts.update;
        times.forward += await timeForward(model, batch);
      }
      o.onStep?.(i + 1, o.warmup + o.steps);
    }
    await stopCpuProfile?.(o.cpuProfile!);
    const step = () => trainStep(model, batch, adapter, optimizer, o.gradientCheckpointing);
    // On webgpu, each GPU program's own time (custom backward passes included); elsewhere tfjs's time per kernel.
    const profile = o.profile ? ((await gpu.programTimes(step)) ?? (await kernelProfile(step))) : null;
    const mean = (x: number) => x / o.steps;
    const reading = await memory.read();
    const rss = peakResidentBytes();
    return {
      model: label,
      shape: { layers: config.numLayers, hidden: config.hiddenSize, vocab: config.vocabSize, parameters: base.parameters },
      backend: backend.name,
      device: backend.device,
      versions: versions(),
      date: new Date().toISOString(),
      batch: o.batch,
      seq: o.seq,
      rank: o.rank,
      steps: o.steps,
      gradientCheckpointing: o.gradientCheckpointing,
      storage: o.storage,
      baseBytes: base.bytes,
      trainableParameters: adapter.trainableParameterCount(),
      tokensPerSecond: (o.batch * o.seq) / mean(times.total),
      stepSeconds: { total: mean(times.total), forward: mean(times.forward), backward: mean(times.forwardBackward - times.forward), optimizer: mean(times.update) },
      queueSeconds: mean(times.queue),
      dispatchesPerStep: gpu.watching ? mean(timedPrograms) : null,
      ...bufferPeaks(gpu.stop(), tensors.stop()),
      peakMemory: reading.kind === 'gpu' ? { kind: 'gpu', source: reading.source, bytes: memory.peak } : { kind: 'process', source: 'process peak RSS', bytes: rss },
      forecast: forecastStep(plan, backend.name, { storage: o.storage, rank: o.rank, targets: LINEAR_LAYERS, batch: o.batch, seq: o.seq, gradientCheckpointing: o.gradientCheckpointing }),
      profile,
      tuning,
    };
  } finally {
    gpu.stop();
    tensors.stop();
    optimizer.dispose();
    adapter.detach();
    base.dispose();
  }
}

/** Starts V8's sampling profiler in this process (through the inspector protocol); the returned function stops it and writes the profile. */
async function startCpuProfile(): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async (file) => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    await writeFile(file, JSON.stringify(profile));
  };
}

/** On webgpu the buffers' own peaks (in use, and with tfjs's pool of freed buffers); elsewhere the tensors' peak. */
function bufferPeaks(buffers: ReturnType<GpuUsage['stop']>, tensorBytes: number) {
  return { peakTensorBytes: buffers?.used ?? tensorBytes, peakAllocatedBytes: buffers?.allocated ?? null };
}

async function source(model: BenchOptions['model']): Promise<{ config: ModelConfig; weights: RandomWeights | ModelWeights; label: string; plan: PlanModel }> {
  if (model.kind === 'dir') return { config: await readModelConfig(model.dir), weights: await ModelWeights.open(model.dir), label: model.dir, plan: await planModelOf(model.dir) };
  const shape = cutShape(model.name, model.cut);
  const config = parseModelConfig(shape.config, model.name);
  const weights = new RandomWeights(config, 1);
  return { config, weights, label: `${shape.label} (random weights)`, plan: { config, prequantized: false, dtypeOf: (name) => weights.info(name).dtype } };
}

/** Random token ids, every position supervised (as a pre-training-style benchmark batch). */
function randomBatch(batch: number, seq: number, vocab: number): Batch {
  const random = seededRandom(7);
  const ids = Int32Array.from({ length: batch * seq }, () => Math.floor(random() * vocab));
  // Each row's first token has no prediction for it: the loss is a mean over the rest.
  return { batch, steps: seq, ids, labels: ids, keyMask: new Int32Array(batch * seq).fill(1), tokens: batch * (seq - 1) };
}

/** The trainer's step options for a bench step (a fixed learning rate; no dropout). */
const stepOptions = (recomputeLayers: boolean) => ({ seed: 0, step: 0, lr: 1e-4, maxGradNorm: 1, recomputeLayers });

/**
 * One training step as the trainer runs it (train-step.ts): queued, then read. It ends when a small updated
 * weight can be read.
 */
async function trainStep(model: CausalLM, batch: Batch, adapter: LoraAdapter, optimizer: AdamW, recomputeLayers: boolean) {
  const t0 = performance.now();
  const queued = queueStep(model, adapter, optimizer, [batch], stepOptions(recomputeLayers));
  const tQueued = performance.now();
  await Promise.all([readStep(queued), lastWeight(adapter).data()]);
  return { total: (performance.now() - t0) / 1000, queue: (tQueued - t0) / 1000 };
}

const lastWeight = (adapter: LoraAdapter) => adapter.parameters().at(-1)!.variable;

/**
 * Forward and backward alone, synchronised on their result (reading the loss waits for the queued backward
 * pass), then the update alone (flattening, clipping, AdamW, the split back into the weights), synchronised too.
 */
async function timeParts(model: CausalLM, batch: Batch, adapter: LoraAdapter, optimizer: AdamW, recomputeLayers: boolean) {
  const t0 = performance.now();
  const { value, grads } = microBatchGradients(model, batch, adapter.parameters().map((p) => p.variable), recomputeLayers);
  await value.data();
  value.dispose();
  const t1 = performance.now();
  const flat = optimizer.flatten(grads);
  tf.dispose(Object.values(grads));
  const norm = queueUpdate(optimizer, flat, batch.tokens, 1, 1e-4);
  await Promise.all([norm.data(), lastWeight(adapter).data()]);
  norm.dispose();
  return { forwardBackward: (t1 - t0) / 1000, update: (performance.now() - t1) / 1000 };
}

async function timeForward(model: CausalLM, batch: Batch): Promise<number> {
  const t0 = performance.now();
  const ids = tf.tensor2d(batch.ids, [batch.batch, batch.steps], 'int32');
  const { sum } = causalLmLossSum(model, ids, batch.labels);
  await sum.data();
  tf.dispose([sum, ids]);
  return (performance.now() - t0) / 1000;
}

/** Time per tfjs kernel over one step, summed by kernel name, largest first (work inside custom gradients is not seen). */
async function kernelProfile(step: () => Promise<unknown>): Promise<ProgramTime[]> {
  const info = await tf.profile(async () => {
    await step();
    return [] as tf.Tensor[];
  });
  return totalByKernel(await Promise.all(info.kernels.map(async (k) => ({ kernel: k.name, ms: Number(await k.kernelTimeMs) || 0 }))));
}
