/**
 * How the WGSL GEMM (gemm-webgpu.ts) runs one product: the shape of the output tile each workgroup computes, and
 * into how many parts k is split. Pure arithmetic on the product's sizes, kept apart from the WGSL so that the
 * choice can be read, tested and tuned on its own.
 */
import type { Causal, GemmShape } from './gemm-reference';

/** The depth in k of one tile (of A and of B) held in workgroup memory. */
export const BK = 16;
const MIN_WORKGROUPS = 120;

/** A tile side: `block` outputs, `perThread` of them per invocation (block / perThread = 16 invocations). */
export interface Side {
  block: 128 | 64 | 16;
  perThread: 8 | 4 | 1;
}

const SIDES: Record<128 | 64 | 16, Side> = { 128: { block: 128, perThread: 8 }, 64: { block: 64, perThread: 4 }, 16: { block: 16, perThread: 1 } };

/** Largest tiles first; a side no longer than half its block is wasted work, so 16 is the only choice for a rank. */
const CANDIDATES: Array<[128 | 64 | 16, 128 | 64 | 16]> = [
  [128, 128],
  [128, 64],
  [64, 128],
  [64, 64],
  [64, 16],
  [16, 64],
  [16, 16],
];

const workgroups = (s: GemmShape, bm: number, bn: number) => Math.ceil(s.m / bm) * Math.ceil(s.n / bn) * s.batch;

/** The tile shapes a product may use: a side no longer than half its block would be mostly wasted work. */
function allowedTiles(s: GemmShape): Array<[128 | 64 | 16, 128 | 64 | 16]> {
  const fits = (block: number, dim: number) => block === 16 || dim > block / 2;
  return CANDIDATES.filter(([bm, bn]) => fits(bm, s.m) && fits(bn, s.n));
}

/** Below this many workgroups a product with a long k loop is split along k. */
const SPLIT_BELOW_WORKGROUPS = 256;
/** Workgroups to aim for once split, and the least k (32 tiles of BK) a part must keep. */
const SPLIT_TARGET_WORKGROUPS = 512;
const SPLIT_MIN_K = 32 * BK;

/**
 * How one product runs: its tiles, and into how many parts k is split. Tiles are the largest that give the GPU
 * MIN_WORKGROUPS workgroups once k is split as far as it may be (parts of at least SPLIT_MIN_K), else the
 * smallest allowed. Larger tiles do more multiplications per load, and a split k walks shorter loops: the
 * attention's dK = dSᵀ·Q ([512, 64] summed over 7 heads x 512 positions) runs as 7 parts of 128 x 64 tiles
 * rather than 256 workgroups of 64 x 16 outputs each walking 224 tiles of k, and LoRA's dB for up_proj
 * ([4864, 16] over 2,048 tokens) as 4 parts of 64 x 16 rather than 304 workgroups of 16 x 16 walking 128
 * tiles. The parts, each a workgroup of its own, are summed by a second kernel. A product with workgroups to
 * spare runs in one part.
 */
export interface Plan {
  m: Side;
  n: Side;
  split: number;
  /** k per part, a multiple of BK. */
  kChunk: number;
}

/**
 * With causal attention's 'kQueries' (see Causal), k is split into parts of one head's queries each where those
 * are long enough to be worth a part (SPLIT_MIN_K / 2) and whole tiles: a part within one head skips the queries
 * before its tile's first key, about half of them.
 */
export function plan(s: GemmShape, causal: Causal | null = null): Plan {
  const allowed = allowedTiles(s);
  const maxSplit = Math.max(1, Math.floor(s.k / SPLIT_MIN_K));
  const [bm, bn] = allowed.find(([bm, bn]) => workgroups(s, bm, bn) * maxSplit >= MIN_WORKGROUPS) ?? allowed[allowed.length - 1]!;
  const count = workgroups(s, bm, bn);
  const byHead = causal?.part === 'kQueries' && causal.period % BK === 0 && causal.period >= SPLIT_MIN_K / 2;
  const split = byHead ? s.k / causal.period : count >= SPLIT_BELOW_WORKGROUPS ? 1 : Math.min(Math.ceil(SPLIT_TARGET_WORKGROUPS / count), maxSplit);
  const kChunk = Math.ceil(Math.ceil(s.k / split) / BK) * BK;
  return { m: SIDES[bm], n: SIDES[bn], split: Math.ceil(s.k / kChunk), kChunk };
}
