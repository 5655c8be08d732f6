/**
 * `tuneboard bench --gemm`: the matrix products of one training step of a model shape, each timed on its own,
 * ours (ops/gemm) against tfjs's matMul, in TFLOP/s. tfjs's kernel profile cannot see work done inside backward
 * passes of custom ops, and products are most of a step's time, so this is where GEMM tuning is measured.
 */
import * as tf from '../backend/tf';
import type { ModelConfig } from '../formats/model-config';
import { gemm } from '../ops/gemm/gemm';
import { defaultChunkElements } from '../ops/lm-head-cross-entropy';

export interface GemmTiming {
  readonly name: string;
  /** batch x m x n x k, with ᵀ on a transposed operand. */
  readonly shape: string;
  readonly oursMs: number;
  readonly tfjsMs: number;
  readonly tflops: number;
  readonly tfjsTflops: number;
}

interface Product {
  name: string;
  batch: number;
  m: number;
  n: number;
  k: number;
  transposeA?: boolean;
  transposeB?: boolean;
}

/** The products a LoRA step runs per layer and in the LM head, at `tokens` tokens of `seq` each. */
function products(c: ModelConfig, tokens: number, seq: number, rank: number, lmHeadRows: number): Product[] {
  const [H, I, D, kv] = [c.hiddenSize, c.intermediateSize, c.headDim, c.numKvHeads];
  const groups = (tokens / seq) * kv;
  const rep = c.numHeads / kv;
  return [
    { name: 'q/o_proj forward', batch: 1, m: tokens, n: H, k: H, transposeB: true },
    { name: 'k/v_proj forward', batch: 1, m: tokens, n: kv * D, k: H, transposeB: true },
    { name: 'gate/up forward', batch: 1, m: tokens, n: I, k: H, transposeB: true },
    { name: 'down forward', batch: 1, m: tokens, n: H, k: I, transposeB: true },
    { name: 'gate/up dx', batch: 1, m: tokens, n: H, k: I },
    { name: 'down dx', batch: 1, m: tokens, n: I, k: H },
    { name: 'LoRA x·Aᵀ', batch: 1, m: tokens, n: rank, k: H, transposeB: true },
    { name: 'LoRA dA', batch: 1, m: rank, n: H, k: tokens, transposeA: true },
    { name: 'LoRA dB', batch: 1, m: I, n: rank, k: tokens, transposeA: true },
    { name: 'attention scores', batch: groups, m: rep * seq, n: seq, k: D, transposeB: true },
    { name: 'attention probs·V', batch: groups, m: rep * seq, n: D, k: seq },
    { name: 'LM head chunk', batch: 1, m: lmHeadRows, n: c.vocabSize, k: H, transposeB: true },
    { name: 'LM head dx', batch: 1, m: lmHeadRows, n: H, k: c.vocabSize },
  ];
}

async function timeMs(run: () => tf.Tensor, repeats: number): Promise<number> {
  for (let i = 0; i < 2; i++) {
    const warm = run();
    await warm.data();
    warm.dispose();
  }
  const t0 = performance.now();
  for (let i = 0; i < repeats - 1; i++) run().dispose();
  const last = run();
  await last.data();
  last.dispose();
  return (performance.now() - t0) / repeats;
}

export async function gemmBench(config: ModelConfig, o: { batch: number; seq: number; rank: number; repeats: number }): Promise<GemmTiming[]> {
  const lmHeadRows = Math.min(o.batch * o.seq, Math.max(1, Math.floor(defaultChunkElements() / config.vocabSize)));
  const timings: GemmTiming[] = [];
  for (const p of products(config, o.batch * o.seq, o.seq, o.rank, lmHeadRows)) {
    const a = tf.randomNormal(p.transposeA ? [p.batch, p.k, p.m] : [p.batch, p.m, p.k]);
    const b = tf.randomNormal(p.transposeB ? [p.batch, p.n, p.k] : [p.batch, p.k, p.n]);
    const oursMs = await timeMs(() => gemm(a, b, p), o.repeats);
    const tfjsMs = await timeMs(() => tf.matMul(a, b, p.transposeA, p.transposeB), o.repeats);
    tf.dispose([a, b]);
    const flop = 2 * p.batch * p.m * p.n * p.k;
    const t = (x: boolean | undefined) => (x ? 'ᵀ' : '');
    timings.push({ name: p.name, shape: `${p.batch}x${p.m}${t(p.transposeA)}x${p.n}${t(p.transposeB)}x${p.k}`, oursMs, tfjsMs, tflops: flop / oursMs / 1e9, tfjsTflops: flop / tfjsMs / 1e9 });
  }
  return timings;
}
