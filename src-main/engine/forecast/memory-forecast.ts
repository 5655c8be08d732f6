/**
 * How much device memory a LoRA training step will take, before it runs: every term named, so the board can show
 * the parts. Built from the engine's own description of the model (model-layout.ts) and of how its weights are
 * kept (weight-storage.ts, which loading follows), and from what the engine's ops keep for the backward pass:
 *
 *   base weights  the frozen weights as stored on the device (32-bit, 16-bit or NF4)
 *   adapter       the LoRA weights, their gradients, and AdamW's moments
 *   activations   what each layer keeps for its backward pass (with gradient checkpointing: its input only,
 *                 and one layer recomputed at a time)
 *   attention     the backward pass's recomputed probabilities and their gradients, one layer at a time
 *   mlp           the backward pass's gradients of the MLP's gating, one layer at a time
 *   lm head       one chunk of logits and their gradient (lm-head-cross-entropy.ts)
 *   weight copy   wasm and cpu: the transposed float32 copy of the projection a layer is multiplying by
 *   update        the optimizer step's temporaries
 *   pool          tfjs's freed buffers kept for reuse (webgpu)
 *   overhead      what the engine holds besides tensors
 *
 * The step's peak is the largest of four moments: the LM head at the end of the forward pass, the last layer's
 * forward pass, the backward pass of a layer, and the optimizer update. Tensors are float32 unless the storage says otherwise.
 */
import type { BackendName } from '../../protocol/engine-types';
import { FORECAST_TERMS, type ForecastTerm, type MemoryForecast, type PeakMoment } from '../../protocol/run-plan';
import type { ModelLayout } from '../model/model-layout';
import { plan } from '../ops/gemm/gemm-plan';
import type { StoragePlan } from '../model/weight-storage';

export interface ForecastRequest {
  readonly layout: ModelLayout;
  readonly heads: { readonly query: number; readonly keyValue: number; readonly dim: number };
  readonly storage: StoragePlan;
  readonly backend: BackendName;
  /** LoRA rank, and the projections it adapts (q_proj, ...). */
  readonly rank: number;
  readonly targets: readonly string[];
  /** Examples per micro-batch, and tokens per example (the longest of a batch, at most cutoff_len). */
  readonly batch: number;
  readonly seq: number;
  readonly gradientCheckpointing: boolean;
  /** Logits per LM-head chunk (lm-head-cross-entropy.ts defaultChunkElements). */
  readonly chunkElements: number;
}

const F32 = 4;

/**
 * Copies of the logits chunk alive at the LM head: the logits and their gradient, plus, on wasm and cpu, the
 * plain-ops cross-entropy's softmax, one-hot targets, products and log-sum-exp (ops/cross-entropy).
 */
const LM_HEAD_COPIES: Record<BackendName, number> = { webgpu: 2, tensorflow: 8, wasm: 8, cpu: 8 };
/**
 * Copies of one layer's attention scores [B, H, T, T] alive in its backward pass: on webgpu the recomputed scores
 * and probabilities, the probabilities' gradient and the scores' gradient (measured: two GEMM outputs, two masked-
 * softmax outputs); the plain ops (gemm-reference, masked-softmax-reference) add transposed operands and the
 * softmax backward's products.
 */
const ATTENTION_COPIES: Record<BackendName, number> = { webgpu: 4, tensorflow: 6, wasm: 6, cpu: 6 };
/**
 * Copies of the MLP's [B·T, intermediate] activations made by its backward pass: the gradient of its product and
 * those of gate and up; the plain-ops SwiGLU backward (swiglu-reference.ts) keeps its seven products as well. On
 * webgpu, buffers of tensors freed while their commands are still being recorded stay in use until submitted:
 * measured, three more of this size.
 */
const MLP_COPIES: Record<BackendName, number> = { webgpu: 6, tensorflow: 10, wasm: 10, cpu: 10 };
/**
 * What the engine holds on the device besides tensors. wasm: the module's initial heap (static data, stack and
 * the allocator's first free space; 16 MiB measured before any tensor). webgpu: Dawn's and the driver's own
 * memory is outside tfjs's buffers and not yet measured on a real GPU (bench on the GPU machine prints it).
 */
const OVERHEAD: Record<BackendName, number> = { webgpu: 0, tensorflow: 0, wasm: 16 * 2 ** 20, cpu: 0 };
/** Adapter-sized vectors besides the weights and moments: the gradients, then the flat copies the update makes. */
const UPDATE_COPIES = 5;

/**
 * The chunk's gradient times the LM head, [c, V] · [V, H]: with k = V long and few output tiles, the WGSL GEMM
 * splits k and sums partial products [split, c, H] (gemm-plan.ts's rule says into how many parts).
 */
function lmHeadPartials(rows: number, hidden: number, vocab: number): number {
  const { split } = plan({ batch: 1, m: rows, n: hidden, k: vocab, transposeA: false, transposeB: false });
  return split > 1 ? F32 * split * rows * hidden : 0;
}

export function forecastMemory(r: ForecastRequest): MemoryForecast {
  const { layout, heads, batch: B, seq: T } = r;
  const N = B * T;
  const h = layout.embedding.shape[1]!;
  const vocab = layout.embedding.shape[0]!;
  const layers = layout.layers.length;
  const m = layout.layers[0]!.projections.gate_proj.outFeatures;
  const targets = layout.linears.filter((l) => r.targets.includes(l.projection));
  const loraParameters = targets.reduce((sum, l) => sum + r.rank * (l.inFeatures + l.outFeatures), 0);
  const loraPerLayer = targets.length / layers;

  const base = r.storage.bytes.total;
  // The LoRA weights, AdamW's two moments, and one more flat vector.
  const adapter = 4 * F32 * loraParameters;
  // A layer keeps its input and normed input for each norm, q and k after RoPE, v transposed, attention's
  // merged output, the MLP's gate, up and their product, and each LoRA layer's down-projection [N, r].
  const perLayer = F32 * N * (4 * h + 2 * heads.query * heads.dim + 2 * heads.keyValue * heads.dim + 3 * m + loraPerLayer * r.rank);
  // With checkpointing a layer keeps only its input; the layer running forward, or recomputed for its backward
  // pass, holds a full layer's worth.
  const keptBefore = r.gradientCheckpointing ? layers * F32 * N * h : layers * perLayer;
  const keptDuring = r.gradientCheckpointing ? keptBefore + perLayer : keptBefore;
  // Besides: the final norm's output and the gradient the LM head computes in the forward pass; the attention mask.
  const extra = 2 * F32 * N * h + F32 * B * T * T;
  // A layer's backward pass peaks in attention's softmax or in the MLP's gating, whichever is larger.
  const attention = ATTENTION_COPIES[r.backend] * F32 * B * heads.query * T * T;
  const mlp = MLP_COPIES[r.backend] * F32 * N * m;
  // The plain-ops GEMM transposes a weight it multiplies as Wᵀ (every forward product): a float32 copy of the
  // largest projection, alive while a layer runs forward (and, with checkpointing, while it is recomputed).
  const weightCopy = r.backend === 'webgpu' ? 0 : F32 * Math.max(...layout.linears.map((l) => l.inFeatures * l.outFeatures));
  const chunkRows = Math.min(N, Math.max(1, Math.floor(r.chunkElements / vocab)));
  const lmHead = LM_HEAD_COPIES[r.backend] * F32 * chunkRows * vocab + (r.backend === 'webgpu' ? lmHeadPartials(chunkRows, h, vocab) : 0);
  const update = UPDATE_COPIES * F32 * loraParameters;

  const grads = F32 * loraParameters;
  const moments: Record<PeakMoment, Partial<Record<ForecastTerm, number>>> = {
    'lm head': { 'base weights': base, adapter, activations: keptBefore + extra, 'lm head': lmHead },
    // With checkpointing the largest forward is a layer's recomputation inside the backward pass.
    forward: r.gradientCheckpointing
      ? { 'base weights': base, adapter: adapter + grads, activations: keptDuring + extra, 'weight copy': weightCopy }
      : { 'base weights': base, adapter, activations: keptDuring, 'weight copy': weightCopy },
    backward: { 'base weights': base, adapter: adapter + grads, activations: keptDuring + extra, ...(attention > mlp ? { attention } : { mlp }) },
    update: { 'base weights': base, adapter, update },
  };
  const sum = (parts: Partial<Record<ForecastTerm, number>>) => Object.values(parts).reduce((a, b) => a + b, 0);
  const moment = (Object.keys(moments) as Array<PeakMoment>).reduce((a, b) => (sum(moments[b]) > sum(moments[a]) ? b : a));
  // tfjs-webgpu keeps every freed buffer for a later tensor of the same size. Over a step nearly every buffer the
  // step makes is freed once, in sizes the next moments do not all reuse: measured on lavapipe, the pool at the
  // step's peak is about the step's own working set (all but the frozen weights), 0.7-1.6 times it.
  const pool = r.backend === 'webgpu' ? sum(moments[moment]) - base : 0;
  const fixed: Partial<Record<ForecastTerm, number>> = { pool, overhead: OVERHEAD[r.backend] };
  const terms = Object.fromEntries(FORECAST_TERMS.map((t) => [t, fixed[t] ?? moments[moment][t] ?? 0])) as Record<ForecastTerm, number>;
  const tensorPeak = sum(moments[moment]);
  return { terms, tensorPeak, total: tensorPeak + terms.pool + terms.overhead, moment };
}
