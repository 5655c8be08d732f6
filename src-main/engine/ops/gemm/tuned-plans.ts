/**
 * The plans measured fastest on the GPU at hand (gemm-tuning.ts), kept for this process by product, and the
 * plan each product runs with: its tuned one where the device can run it, else the rule's (gemm-plan.ts).
 */
import { layoutLabel, type FrozenLayout } from '../frozen-reader';
import type { DeviceLimits } from '../webgpu-kernel';
import type { Causal, GemmShape } from './gemm';
import { NO_LIMITS, SIDES, fitsDevice, plan, tiled, type Plan, type Side, type Staging } from './gemm-plan';

/**
 * A product as tuning sees it: its sizes, whether B has a batch of its own (else one B serves every batch), how B
 * is packed, and the addends and causal structure its programs carry.
 */
export interface Product {
  shape: GemmShape;
  batchedB: boolean;
  /** How B is packed (a frozen matrix's row block), null for float32 values: other loads, other plans. */
  packedB: FrozenLayout | null;
  lowRank: { rank: number; transposeRight: boolean } | null;
  bias: boolean;
  causal: Causal | null;
}

/**
 * A size as tuning keys it: up to 16 itself, beyond that the next of 2^j and 1.5 · 2^j. Sequence lengths vary from
 * batch to batch, and the plan measured fastest for 2,000 rows is the one for 2,048: products whose sizes
 * round alike share a tuned plan (the boundaries fall on the powers of two where tile shapes stop being allowed).
 */
const sizeClass = (x: number): number => {
  if (x <= 16) return x;
  const power = 2 ** Math.ceil(Math.log2(x));
  return x <= 0.75 * power ? 0.75 * power : power;
};

/** The key tuned plans are kept by: the product with its sizes rounded by sizeClass. */
export const productKey = ({ shape: s, batchedB, packedB, lowRank, bias, causal }: Product): string =>
  `${[s.batch, s.m, s.n, s.k].map(sizeClass).join('x')}${s.transposeA ? ' Aᵀ' : ''}${s.transposeB ? ' Bᵀ' : ''}${batchedB ? '' : ' B shared'}${packedB ? `, ${layoutLabel(packedB)}` : ''}` +
  `${lowRank ? ` + rank ${lowRank.rank}${lowRank.transposeRight ? 'ᵀ' : ''}` : ''}${bias ? ' + bias' : ''}${causal ? ` causal ${causal.part}` : ''}`;

/** Plans measured fastest, by productKey; and who is told of each product planned (the tuner, while it watches). */
const tunedPlans = new Map<string, Plan>();
let productObserver: ((product: Product, key: string) => void) | null = null;

/**
 * The plan a product runs with: its tuned tiles and parts (k cut for its own length) where the device can run
 * them (a larger product of its size class may have partial products too large for one binding), else the rule's.
 */
export function planFor(product: Product, limits: DeviceLimits = NO_LIMITS): Plan {
  const key = productKey(product);
  productObserver?.(product, key);
  const tuned = tunedPlans.get(key);
  const p = tuned && tiled(product.shape, tuned.m.block, tuned.n.block, tuned.split, tuned);
  return p && fitsDevice(p, product.shape, product.causal, limits) ? p : plan(product.shape, product.causal, limits);
}

export function setTunedPlan(key: string, p: Plan): void {
  tunedPlans.set(key, p);
}

export function tunedPlan(key: string): Plan | undefined {
  return tunedPlans.get(key);
}

/** Every tuned plan, by productKey. */
export const tunedPlanEntries = (): Array<[string, Plan]> => [...tunedPlans];

/** A tuned plan as kept between runs (tuned-plan-store.ts): its tile shape, parts and staging. */
export interface StoredPlan extends Staging {
  m: Side['block'];
  n: Side['block'];
  split: number;
  kChunk: number;
}

export const storedPlan = (p: Plan): StoredPlan => ({ m: p.m.block, n: p.n.block, split: p.split, kChunk: p.kChunk, buffers: p.buffers, depth: p.depth, loadOrder: p.loadOrder });

export const planFromStored = (s: StoredPlan): Plan => ({ ...s, m: SIDES[s.m], n: SIDES[s.n] });

/** Tells `observer` of every product planned until the returned function is called. */
export function observeProducts(observer: (product: Product, key: string) => void): () => void {
  productObserver = observer;
  return () => {
    if (productObserver === observer) productObserver = null;
  };
}
