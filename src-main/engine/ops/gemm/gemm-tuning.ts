/**
 * GEMM plans measured rather than assumed. Which tile shape, split of k and staging runs a product fastest
 * depends on the GPU (its multiprocessors, caches, compiler) as much as on the product, and gemm-plan.ts's rule
 * of thumb was reasoned for one GPU. The tuner watches training steps to learn their products, then times the
 * candidate plans of each (GPU time from timestamp queries, best of REPEATS, candidates interleaved) on operands
 * of the product's shape in two rounds, tiles and splits first, then the winner's depth and load order, and
 * keeps the fastest for that product. The rule's own plan is a candidate, so a tuned product is never slower
 * than the rule by more than the timing's noise.
 */
import { releasePooledMemory } from '../../backend/buffer-pool';
import * as tf from '../../backend/tf';
import { canTimePrograms, deviceLimits, elementwise, runProgram, timePrograms, type DeviceLimits } from '../webgpu-kernel';
import { candidatePlans, planLabel, stagings, type Plan } from './gemm-plan';
import { observeProducts, setTunedPlan, tunedPlan, type Product } from './tuned-plans';
import { randomFillSync } from 'node:crypto';
import { FrozenMatrix, frozenBytes } from '../frozen-matrix';
import type { FrozenLayout } from '../frozen-reader';
import { gemmWebgpu, type GemmB } from './gemm-webgpu';

const REPEATS = 3;
/**
 * Products whose operands and result take more than this are left to the rule (an LM head over a 128K vocabulary):
 * tuning runs between steps with tfjs's pool of freed buffers given back first, so what it allocates fits in what
 * the step's activations held, and stays under the step's peak.
 */
const MAX_TUNING_BYTES = 2 ** 30;

/** One product's tuning: its candidates' best times, the rule's plan and the one kept. */
export interface ProductTuning {
  readonly product: string;
  /** Times the product ran in the last step watched. */
  readonly calls: number;
  /** Plans timed, in both rounds. */
  readonly candidates: number;
  readonly rule: string;
  readonly ruleMs: number;
  readonly chosen: string;
  readonly chosenMs: number;
}

export interface TuningReport {
  readonly seconds: number;
  readonly products: readonly ProductTuning[];
}

export class GemmTuner {
  /** Products seen while watching, by key: the product, the steps it ran in, its calls in the last of them. */
  private readonly seen = new Map<string, { product: Product; steps: number; calls: number }>();
  /** Seconds spent tuning so far. */
  seconds = 0;

  /** `maxBytes`: products whose operands and result take more are left to the rule. */
  constructor(private readonly maxBytes = MAX_TUNING_BYTES) {}

  /** Runs `step`, noting every product it plans. */
  async watch<T>(step: () => Promise<T>): Promise<T> {
    const calls = new Map<string, number>();
    const stop = observeProducts((product, key) => {
      calls.set(key, (calls.get(key) ?? 0) + 1);
      if (!this.seen.has(key)) this.seen.set(key, { product, steps: 0, calls: 0 });
    });
    try {
      return await step();
    } finally {
      stop();
      for (const [key, n] of calls) {
        const entry = this.seen.get(key)!;
        entry.steps++;
        entry.calls = n;
      }
    }
  }

  /**
   * Tunes the products seen in at least `minSteps` steps and not tuned yet (a product seen once may be one
   * batch's odd length), telling `onStart` how many first when there are any. Null where the device cannot time
   * programs.
   */
  async tune(minSteps = 1, onStart?: (products: number) => void): Promise<TuningReport | null> {
    if (!canTimePrograms()) return null;
    const t0 = performance.now();
    const products: ProductTuning[] = [];
    const limits = deviceLimits();
    const due = this.dueProducts(minSteps, limits);
    if (!due.length) return { seconds: 0, products };
    onStart?.(due.length);
    releasePooledMemory();
    for (const { key, product, calls, candidates } of due) {
      const times = await timeInRounds(product, candidates, limits);
      const [chosen, chosenMs] = fastest(times);
      setTunedPlan(key, chosen);
      products.push({ product: key, calls, candidates: times.size, rule: planLabel(candidates[0]!), ruleMs: times.get(candidates[0]!)!, chosen: planLabel(chosen), chosenMs });
    }
    releasePooledMemory(); // the operands' buffers, some of sizes no step uses
    const seconds = (performance.now() - t0) / 1000;
    this.seconds += seconds;
    return { seconds, products };
  }

  /** Seen in `minSteps` steps, not tuned yet, and within the bytes the tuner may allocate; with their candidates. */
  private dueProducts(minSteps: number, limits: DeviceLimits) {
    return [...this.seen]
      .filter(([key, { steps }]) => steps >= minSteps && !tunedPlan(key))
      .map(([key, { product, calls }]) => ({ key, product, calls, candidates: candidatePlans(product.shape, product.causal, limits) }))
      .filter(({ product, candidates }) => tuningBytes(product, candidates) <= this.maxBytes);
  }
}

/** Said, by bench and training, where tuning was due but the device cannot time programs (GemmTuner.tune gives null). */
export const UNTUNED_NOTE = 'matrix products not tuned: this GPU cannot time programs (no timestamp queries), so the built-in rule plans them';

/** Estimated GPU time a step saves with the product's tuned plan over the rule's (ms). */
export const savedPerStep = (p: ProductTuning): number => p.calls * (p.ruleMs - p.chosenMs);

/** The products whose plan tuning changed, the largest saving first. */
export const changedProducts = (report: TuningReport): ProductTuning[] => report.products.filter((p) => p.chosen !== p.rule).sort((a, b) => savedPerStep(b) - savedPerStep(a));

/** A tuning in one line, as bench prints it and training logs it. */
export function tuningSummary(report: TuningReport): string {
  const saved = report.products.reduce((sum, p) => sum + savedPerStep(p), 0);
  return `tuned ${report.products.length} matrix products for this GPU in ${report.seconds.toFixed(1)} s: ${changedProducts(report).length} with a plan other than the built-in rule's, about ${saved.toFixed(1)} ms of GPU time saved a step`;
}

/**
 * Each plan's best GPU time (ms) for the product: the candidates, then the fastest's stagings (the fastest
 * timed again beside them, so the second round compares like with like).
 */
async function timeInRounds(product: Product, candidates: readonly Plan[], limits: DeviceLimits): Promise<Map<Plan, number>> {
  const { a, b, addends, dispose } = operands(product);
  const times = new Map<Plan, number>();
  // Each repeat queues every plan once and waits for the GPU once; repeats interleaved, so clock changes touch
  // all plans alike. A plan's time is its GEMM program's and, with k split, its sum's (the program after it).
  const time = async (plans: readonly Plan[]) => {
    for (let r = 0; r < REPEATS; r++) {
      const programs = await timePrograms(() => plans.forEach((p) => gemmWebgpu(a, b, addends, product.shape, 1, product.causal, p).dispose()));
      let next = 0;
      for (const p of plans) {
        const ms = programs.slice(next, (next += p.split > 1 ? 2 : 1)).reduce((sum, t) => sum + t.ms, 0);
        times.set(p, Math.min(times.get(p) ?? Infinity, ms));
      }
      if (next !== programs.length) throw new Error(`GEMM tuning: ${programs.length} programs timed for ${next} expected`);
    }
  };
  try {
    await time(candidates);
    await time(stagings(fastest(times)[0], product.shape, product.causal, limits));
    return times;
  } finally {
    dispose();
  }
}

const fastest = (times: Map<Plan, number>): [Plan, number] => [...times].reduce((best, entry) => (entry[1] < best[1] ? entry : best));

/** Bytes of the product's operands and result, with the partial products of the candidate split the most. */
function tuningBytes({ shape: s, batchedB, packedB }: Product, candidates: readonly Plan[]): number {
  const parts = Math.max(...candidates.map((p) => (p.split > 1 ? p.split : 0)));
  const bBytes = packedB ? frozenBytes(packedB.format, s.k, s.n) : 4 * (batchedB ? s.batch : 1) * s.k * s.n;
  return 4 * (s.batch * s.m * s.k + (1 + parts) * s.batch * s.m * s.n) + bBytes;
}

/** Operands of the product's shapes, filled with noise (zeros could run faster than real data). */
function operands({ shape: s, batchedB, packedB, lowRank, bias }: Product) {
  const a = noise(s.transposeA ? [s.batch, s.k, s.m] : [s.batch, s.m, s.k]) as tf.Tensor3D;
  const batchB = batchedB ? s.batch : 1;
  const bShape: [number, number] = s.transposeB ? [s.n, s.k] : [s.k, s.n];
  const matrix = packedB && randomPackedMatrix(packedB, bShape);
  const b: GemmB = matrix ? { matrix, block: 0 } : (noise([batchB, ...bShape]) as tf.Tensor3D);
  const low = lowRank && {
    left: noise([s.m, lowRank.rank]) as tf.Tensor2D,
    right: noise(lowRank.transposeRight ? [s.n, lowRank.rank] : [lowRank.rank, s.n]) as tf.Tensor2D,
    transposeRight: lowRank.transposeRight,
    scale: 1,
  };
  const addends = { lowRank: low, bias: bias ? (noise([s.n]) as tf.Tensor1D) : null };
  const dispose = () => {
    matrix?.dispose();
    tf.dispose([a, ...(matrix ? [] : [b as tf.Tensor3D]), ...(low ? [low.left, low.right] : []), ...(addends.bias ? [addends.bias] : [])]);
  };
  return { a, b, addends, dispose };
}

/** A packed matrix of random bits: finite 16-bit values (exponents fixed near 1), or random NF4 codes with small scales. */
function randomPackedMatrix({ format, scales }: FrozenLayout, shape: [number, number]): FrozenMatrix {
  const n = shape[0] * shape[1];
  if (format === 'bf16' || format === 'fp16') {
    const words = randomFillSync(new Uint32Array(Math.ceil(n / 2)));
    const [keep, set] = format === 'bf16' ? [0x807f807f, 0x3f003f00] : [0x83ff83ff, 0x38003800];
    for (let i = 0; i < words.length; i++) words[i] = (words[i]! & keep) | set;
    return FrozenMatrix.fromPacked16(new Uint8Array(words.buffer, 0, 2 * n), format, shape);
  }
  const blocks = Math.ceil(n / 64);
  const absmax =
    scales === 'nested'
      ? { kind: 'nested' as const, codes: randomFillSync(new Uint8Array(blocks)), nestedAbsmax: new Float32Array(Math.ceil(blocks / 256)).fill(0.01), nestedMap: Float32Array.from({ length: 256 }, (_, i) => i / 256 - 0.5), offset: 0.02 }
      : { kind: 'plain' as const, values: new Float32Array(blocks).fill(0.02) };
  return FrozenMatrix.fromNf4({ shape, codes: randomFillSync(new Uint8Array(Math.ceil(n / 2))), absmax }, Float32Array.from({ length: 16 }, (_, i) => (i - 7) / 8));
}

/** Values in [-1, 1) hashed from each element's index. */
function noise(shape: number[]): tf.Tensor {
  const spec = elementwise({ key: 'tbNoise', inputs: [], outputShape: shape, body: 'result[index] = fract(sin(f32(index % 65521) * 12.9898) * 43758.5453) * 2.0 - 1.0;' });
  return runProgram(spec, [], [tf.util.sizeFromShape(shape)]);
}
