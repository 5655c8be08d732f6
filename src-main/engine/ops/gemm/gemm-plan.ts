/**
 * How the WGSL GEMM (gemm-webgpu.ts) runs one product: the shape of the output tile each workgroup computes, and
 * into how many parts k is split. A rule of thumb on the product's sizes (`plan`) and the candidates tuning times,
 * kept apart from the WGSL so that the choice can be read, tested and tuned on its own. Pure arithmetic: the plans
 * measured on the GPU at hand are kept by tuned-plans.ts.
 */
import type { DeviceLimits } from '../webgpu-kernel';
import type { Causal, GemmShape } from './gemm';

const MIN_WORKGROUPS = 120;

/** A tile side: `block` outputs, `perThread` of them per invocation (block / perThread = 16 invocations). */
export interface Side {
  block: 128 | 64 | 16;
  perThread: 8 | 4 | 1;
}

export const SIDES: Record<128 | 64 | 16, Side> = { 128: { block: 128, perThread: 8 }, 64: { block: 64, perThread: 4 }, 16: { block: 16, perThread: 1 } };

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
/** Workgroups to aim for once split, and the least k (32 of the rule's tiles) a part must keep. */
const SPLIT_TARGET_WORKGROUPS = 512;
const SPLIT_MIN_K = 512;

/**
 * How a workgroup holds and fills its tiles, which tuning varies after the tile shape and the split:
 * - `buffers` a side in workgroup memory: 2 stores the next tile while this one is multiplied (one barrier a
 *   tile, not two, for twice the memory);
 * - `depth` of a tile in k: deeper tiles take fewer barriers and loop trips, shallower ones less memory (more
 *   workgroups resident on a multiprocessor);
 * - `loadOrder` of an operand read along k as vec4s: 'k' gives consecutive invocations consecutive vec4s of one
 *   row (global reads coalesced, but the stores into the tile fall in 8 of 32 memory banks), 'rows' consecutive
 *   rows (stores in all 32 banks, reads 16 bytes from each row).
 */
export interface Staging {
  buffers: 1 | 2;
  depth: 8 | 16 | 32;
  loadOrder: 'k' | 'rows';
}

/** The rule's staging, and the first round of tuning's. */
const RULE_STAGING: Staging = { buffers: 1, depth: 16, loadOrder: 'k' };

/**
 * How one product runs: its tiles, into how many parts k is split, and its staging (the rule's: one buffer, 16
 * deep, loads along k). Tiles are the largest that give the GPU
 * MIN_WORKGROUPS workgroups once k is split as far as it may be (parts of at least SPLIT_MIN_K), else the
 * smallest allowed. Larger tiles do more multiplications per load, and a split k walks shorter loops: the
 * attention's dK = dSᵀ·Q ([512, 64] summed over 7 heads x 512 positions) runs as 7 parts of 128 x 64 tiles
 * rather than 256 workgroups of 64 x 16 outputs each walking 224 tiles of k, and LoRA's dB for up_proj
 * ([4864, 16] over 2,048 tokens) as 4 parts of 64 x 16 rather than 304 workgroups of 16 x 16 walking 128
 * tiles. The parts, each a workgroup of its own, are summed by a second kernel. A product with workgroups to
 * spare runs in one part.
 */
export interface Plan extends Staging {
  m: Side;
  n: Side;
  split: number;
  /** k per part, a multiple of the depth. */
  kChunk: number;
}

/**
 * With causal attention's 'kQueries' (see Causal), k is split into parts of one head's queries each where those
 * are long enough to be worth a part (SPLIT_MIN_K / 2) and whole tiles: a part within one head skips the queries
 * before its tile's first key, about half of them. Tiles that need more workgroup memory than the device has
 * (WebGPU's minimum is 16 KiB, which a causal product's 128 x 128 tiles pass by 4 bytes) are not used.
 */
export function plan(s: GemmShape, causal: Causal | null = null, limits: DeviceLimits = NO_LIMITS): Plan {
  const allowed = allowedTiles(s).filter(([bm, bn]) => workgroupBytes(tiled(s, bm, bn, 1, RULE_STAGING), causal) <= limits.maxWorkgroupBytes);
  const maxSplit = Math.max(1, Math.floor(s.k / SPLIT_MIN_K));
  const [bm, bn] = allowed.find(([bm, bn]) => workgroups(s, bm, bn) * maxSplit >= MIN_WORKGROUPS) ?? allowed[allowed.length - 1]!;
  const count = workgroups(s, bm, bn);
  const byHead = causal?.part === 'kQueries' && causal.period % RULE_STAGING.depth === 0 && causal.period >= SPLIT_MIN_K / 2;
  const split = byHead ? s.k / causal.period : count >= SPLIT_BELOW_WORKGROUPS ? 1 : Math.min(Math.ceil(SPLIT_TARGET_WORKGROUPS / count), maxSplit);
  return tiled(s, bm, bn, split, RULE_STAGING);
}

/** bm x bn tiles with k in `parts` parts of whole tiles (fewer when whole tiles cover k sooner), staged as given. */
export function tiled(s: GemmShape, bm: 128 | 64 | 16, bn: 128 | 64 | 16, parts: number, { buffers, depth, loadOrder }: Staging): Plan {
  const kChunk = Math.ceil(Math.ceil(s.k / parts) / depth) * depth;
  return { m: SIDES[bm], n: SIDES[bn], split: Math.ceil(s.k / kChunk), kChunk, buffers, depth, loadOrder };
}

/** A plan in words, naming its staging only where it is not the rule's. */
export const planLabel = (p: Plan): string =>
  `${p.m.block}x${p.n.block}${p.split > 1 ? ` in ${p.split} parts` : ''}${p.buffers === 2 ? ', 2 buffers' : ''}` +
  `${p.depth !== RULE_STAGING.depth ? `, ${p.depth} deep` : ''}${p.loadOrder === 'rows' ? ', loaded by rows' : ''}`;

/** Workgroup memory a plan's program declares: its tiles of A and B, and a causal product's tile count. */
export const workgroupBytes = (p: Plan, causal: Causal | null): number => 4 * p.buffers * p.depth * (p.m.block + p.n.block) + (causal ? 4 : 0);

export const NO_LIMITS: DeviceLimits = { maxElements: Infinity, maxWorkgroupBytes: Infinity };

/** Whether a plan runs on a device: its partial products ([split x batch, m, n]) fit one binding, its tiles the workgroup memory. */
export const fitsDevice = (p: Plan, s: GemmShape, causal: Causal | null, limits: DeviceLimits): boolean =>
  (p.split === 1 || p.split * s.batch * s.m * s.n <= limits.maxElements) && workgroupBytes(p, causal) <= limits.maxWorkgroupBytes;

/** The shortest part of k a tuned plan may have (16 of the rule's tiles), and the most workgroups worth splitting k into. */
const CANDIDATE_MIN_K = 256;
const CANDIDATE_MAX_WORKGROUPS = 4096;

/**
 * The plans worth timing first for a product (gemm-tuning.ts): `plan`'s own, then every allowed tile shape
 * unsplit and with k in 2, 4, 8... parts while parts keep CANDIDATE_MIN_K and the workgroups stay under
 * CANDIDATE_MAX_WORKGROUPS, and in parts of one head for causal 'kQueries'; each with one buffer a side and
 * with two, where the device can run it (fitsDevice). The rest of the staging is the rule's: see stagings.
 */
export function candidatePlans(s: GemmShape, causal: Causal | null = null, limits: DeviceLimits = NO_LIMITS): Plan[] {
  const plans = [plan(s, causal, limits)];
  for (const [bm, bn] of allowedTiles(s)) {
    const count = workgroups(s, bm, bn);
    const splits: number[] = [];
    for (let parts = 1; parts === 1 || (s.k / parts >= CANDIDATE_MIN_K && count * parts <= CANDIDATE_MAX_WORKGROUPS); parts *= 2) splits.push(parts);
    if (causal?.part === 'kQueries' && causal.period % RULE_STAGING.depth === 0) splits.push(s.k / causal.period);
    for (const buffers of [1, 2] as const) {
      for (const parts of splits) {
        const p = tiled(s, bm, bn, parts, { ...RULE_STAGING, buffers });
        if (fitsDevice(p, s, causal, limits)) plans.push(p);
      }
    }
  }
  return distinct(plans);
}

/**
 * The second round of tuning: `best`'s tiles, split and buffers with every depth and load order the device can
 * run, `best` first. Tried for the winner of the first round only, taking their effects to add to the tiles'
 * (the whole grid would be up to six times the candidates, and the tuning time). The load order is tried only where an operand is
 * read along k as vec4s (A as stored, B transposed; k a multiple of 4), the one place it changes.
 */
export function stagings(best: Plan, s: GemmShape, causal: Causal | null = null, limits: DeviceLimits = NO_LIMITS): Plan[] {
  const orders = s.k % 4 === 0 && (!s.transposeA || s.transposeB) ? (['k', 'rows'] as const) : (['k'] as const);
  const plans = [best];
  for (const depth of [8, 16, 32] as const) {
    for (const loadOrder of orders) {
      const p = tiled(s, best.m.block, best.n.block, best.split, { buffers: best.buffers, depth, loadOrder });
      if (fitsDevice(p, s, causal, limits)) plans.push(p);
    }
  }
  return distinct(plans);
}

/** The plans without repeats (as planLabel tells them apart), each kept where it first comes. */
function distinct(plans: readonly Plan[]): Plan[] {
  const byLabel = new Map<string, Plan>();
  for (const p of plans) if (!byLabel.has(planLabel(p))) byLabel.set(planLabel(p), p);
  return [...byLabel.values()];
}
