/**
 * GEMM in WGSL: C = alpha · (op(A) · op(B) (+ a low-rank product)) (+ a bias per column), batched, with either
 * operand transposed in place.
 *
 * Each workgroup of 256 invocations (16 x 16) computes a BM x BN tile of C; K is walked in tiles of the plan's
 * depth through workgroup memory. An invocation computes TM x TN outputs: with TM = 8 two blocks of 4 rows half a tile apart
 * (likewise columns), read from workgroup memory as vec4s, so one k step is 4 vector reads for 64 FMAs and
 * neighbouring invocations read neighbouring words. Along a LoRA rank (16) each invocation has one row or column.
 * The plan (gemm-plan.ts) sets the tile shape, the split of k and the staging (one tile a side in workgroup memory
 * or two, the next stored while this one is multiplied; the tiles' depth; the order of their loads): by a rule of
 * thumb, or as measured on the GPU at hand (gemm-tuning.ts). Global memory is read a tile ahead into registers (the loads overlap the multiplications),
 * as vec4s along whichever dimension is contiguous when it is a multiple of 4 (all of a model's are), else as
 * scalars. B may be a row block of a packed frozen matrix (16-bit or NF4, frozen-matrix.ts): its loads widen it to
 * float32 on the way into the tile (frozen-reader.ts), so the rest of the kernel is the same.
 */
import { createHash } from 'node:crypto';
import type { FrozenMatrix } from '../frozen-matrix';
import { frozenLayout, frozenReader, layoutLabel, readerTensors, readerUniforms, type FrozenLayout, type FrozenReader } from '../frozen-reader';
import { deviceLimits, elementwise, runProgram, type ProgramSpec } from '../webgpu-kernel';
import type { Causal, GemmAddends, GemmShape } from './gemm';
import { plan, planLabel, type Plan, type Side } from './gemm-plan';
import { planFor } from './tuned-plans';
import type * as tf from '../../backend/tf';

/**
 * How one side's tile is read in the inner loop: `groups` vec4s per k (rows g*block/2 + t*4 .. +3), or one
 * scalar (row t) when perThread is 1. `names[i]` is the expression for the invocation's i-th row of the side.
 * With two buffers, stores go to the one at `<tile>Write` and reads come from the one at `<tile>Read`
 * (offsets in the array's units, of `size` each).
 */
function sideReader(side: Side, tile: string, t: string, { buffers, depth }: Plan) {
  const [write, read] = buffers === 2 ? [`${tile}Write + `, `${tile}Read + `] : ['', ''];
  if (side.perThread === 1) {
    return {
      declare: `var<workgroup> ${tile} : array<f32, ${buffers * depth * side.block}>;`,
      size: depth * side.block,
      store: (k: string, x: string, v: string) => `${tile}[${write}${k} * ${side.block} + ${x}] = ${v};`,
      store4: (k: string, x4: string, v: string) => [0, 1, 2, 3].map((j) => `${tile}[${write}${k} * ${side.block} + ${x4} * 4 + ${j}] = ${v}[${j}];`).join(' '),
      read: `let ${tile}0 = ${tile}[${read}kk * ${side.block} + ${t}];`,
      names: [`${tile}0`],
      offset: (i: number) => (i === 0 ? t : ''),
    };
  }
  const groups = side.perThread / 4;
  const width = side.block / 4; // vec4s per k row
  return {
    declare: `var<workgroup> ${tile} : array<vec4<f32>, ${buffers * depth * width}>;`,
    size: depth * width,
    store: (k: string, x: string, v: string) => `${tile}[${write}${k} * ${width} + ${x} / 4][${x} % 4] = ${v};`,
    store4: (k: string, x4: string, v: string) => `${tile}[${write}${k} * ${width} + ${x4}] = ${v};`,
    read: Array.from({ length: groups }, (_, g) => `let ${tile}${g} = ${tile}[${read}kk * ${width} + ${t} + ${g * (width / groups)}];`).join(' '),
    names: Array.from({ length: side.perThread }, (_, i) => `${tile}${Math.floor(i / 4)}[${i % 4}]`),
    offset: (i: number) => `${Math.floor(i / 4) * (side.block / groups)} + ${t} * 4 + ${i % 4}`,
  };
}

/**
 * One operand's path from global memory to its tile, through registers so the next tile's loads are in flight
 * while the current one is multiplied. `kContiguous`: consecutive addresses run along k (A as stored, B
 * transposed); otherwise along the tile's rows (m or n). `vec4`: the contiguous dimension is a multiple of 4, so
 * each invocation moves vec4s (the buffer is bound as vec4s); otherwise scalars. Read along k as vec4s, the plan's
 * load order says whether consecutive invocations take consecutive vec4s of a row ('k') or consecutive rows.
 */
interface Operand {
  name: 'A' | 'B';
  plan: Plan;
  side: Side;
  reader: ReturnType<typeof sideReader>;
  kContiguous: boolean;
  vec4: boolean;
  /** WGSL names of the tile's row count (M or N), its first row, and the batch offset. */
  rows: 'M' | 'N';
  origin: 'm0' | 'n0';
  base: 'aBase' | 'bBase';
  /** A packed operand's reader; null: float32 values, read as bound. */
  packed: FrozenReader | null;
}

function operandLoader(o: Operand) {
  const lanes = o.vec4 ? 4 : 1;
  const depth = o.plan.depth;
  const units = (o.side.block * depth) / lanes; // loads per tile
  const registers = Math.ceil(units / 256);
  const type = o.vec4 ? 'vec4<f32>' : 'f32';
  const reg = (j: number) => `${o.name.toLowerCase()}Next${j}`;
  // For unit i: its row r and k within the tile, and the value's address in the buffer (in its own units).
  const place = !o.kContiguous
    ? `let kk = i / ${o.side.block / lanes}; let r = (i % ${o.side.block / lanes}) * ${lanes};`
    : o.vec4 && o.plan.loadOrder === 'rows'
      ? `let r = i % ${o.side.block}; let kk = (i / ${o.side.block}) * 4;`
      : `let r = i / ${depth / lanes}; let kk = (i % ${depth / lanes}) * ${lanes};`;
  const address = o.kContiguous ? `${o.base} + g * K + gk` : `${o.base} + gk * ${o.rows} + g`;
  const fetch = (address: string) => (!o.packed ? `${o.name}[(${address}) / ${lanes}]` : o.vec4 ? o.packed.at4(address) : o.packed.at(address));
  const each = (j: number, body: string) => `{ let i = tid + ${j * 256}; if (i < ${units}) { ${place} ${body} } }`;
  /** Loads the tile whose k starts at `from` into the registers. */
  const load = (from: string) =>
    Array.from({ length: registers }, (_, j) =>
      each(j, `let g = ${o.origin} + r; let gk = ${from} + kk; ${reg(j)} = ${type}(0.0); if (g < ${o.rows} && gk < kEnd) { ${reg(j)} = ${fetch(address)}; }`),
    ).join('\n        ');
  const store = Array.from({ length: registers }, (_, j) => {
    if (!o.vec4) return each(j, o.reader.store('kk', 'r', reg(j)));
    if (o.kContiguous) return each(j, [0, 1, 2, 3].map((c) => o.reader.store(`(kk + ${c})`, 'r', `${reg(j)}[${c}]`)).join(' '));
    return each(j, o.reader.store4('kk', 'r / 4', reg(j)));
  }).join('\n        ');
  return { declare: Array.from({ length: registers }, (_, j) => `var ${reg(j)} : ${type};`).join(' '), load, store };
}

/** Which addends a product has; a low-rank term's right factor is [n, r] ('transposed') or [r, n] ('plain'). */
interface Extras {
  lowRank: 'transposed' | 'plain' | null;
  bias: boolean;
}

const NO_EXTRAS: Extras = { lowRank: null, bias: false };

/** The WGSL that adds the bias to `value` for an output of column `column`. */
function withBias(value: string, e: Extras, column: string): string {
  return `${value}${e.bias ? ` + BIAS[${column}]` : ''}`;
}

/** WGSL: LOW_RIGHT's element j of column `column` of op(right), [n, r] or [r, n] as stored. */
const lowRight = (e: Extras, j: string, column: string) => (e.lowRank === 'transposed' ? `LOW_RIGHT[${column} * uniforms.rank + ${j}]` : `LOW_RIGHT[${j} * uniforms.n + ${column}]`);

const extraInputs = (e: Extras) => [...(e.lowRank ? ['LOW_LEFT', 'LOW_RIGHT'] : []), ...(e.bias ? ['BIAS'] : [])];

/**
 * WGSL for where a workgroup's walk along k starts, `kFrom`, and how many tiles it walks, `kTiles`. Without causal
 * structure, all of its part, counted from a uniform so the barriers stay in uniform control flow (tfjs passes
 * workgroupId through a private variable, which WGSL cannot prove uniform). With it, less (see Causal): keys up
 * to the tile's last query ('kKeys'), none for an output tile wholly past its queries ('output'), or queries from
 * the tile's first key on when the part lies within one group ('kQueries'); the count is made uniform by
 * workgroupUniformLoad.
 */
function kWalk(causal: Causal['part'] | null, BM: number, BK: number): { from: string; count: string } {
  if (!causal) return { from: 'let kFrom = kBegin;', count: `let kTiles = uniforms.kChunk / ${BK};` };
  const T = 'uniforms.causalPeriod';
  const lastQuery = `let firstQuery = m0 % ${T}; let lastQuery = select(${T} - 1, firstQuery + ${BM - 1}, firstQuery + ${BM - 1} < ${T});`;
  const groupStart = `kBegin - kBegin % ${T}`;
  const from = causal === 'kQueries' ? `let kFrom = select(kBegin, max(kBegin, ${groupStart} + m0 / ${BK} * ${BK}), kEnd <= ${groupStart} + ${T});` : 'let kFrom = kBegin;';
  const count = {
    output: `select(uniforms.kChunk / ${BK}, 0, n0 > lastQuery)`,
    kKeys: `max(0, min(kEnd, lastQuery + 1) - kBegin + ${BK - 1}) / ${BK}`,
    kQueries: `max(0, kEnd - kFrom + ${BK - 1}) / ${BK}`,
  }[causal];
  return {
    from,
    count: `${lastQuery}
      if (tid == 0) { causalTiles = ${count}; }
      let kTiles = workgroupUniformLoad(&causalTiles);`,
  };
}

/**
 * The product, or with k split, one partial product per part: [split * batch, M, N], part-major. `packed`: B is a
 * row block of a packed frozen matrix in this layout (batch 1).
 */
function gemmProgram(s: GemmShape, p: Plan, extras: Extras, causal: Causal['part'] | null, packed: FrozenLayout | null = null): ProgramSpec {
  const { m: ms, n: ns, split } = p;
  const whole = split === 1; // alpha and the extras are applied here, else by the sum of the parts
  const own: Extras = whole ? extras : NO_EXTRAS;
  const [BM, BN, BK] = [ms.block, ns.block, p.depth];
  const a = sideReader(ms, 'As', 'tRow', p);
  const b = sideReader(ns, 'Bs', 'tCol', p);
  // op(A)[m][k]: A is [M, K] row-major, or [K, M] when transposed. op(B)[k][n]: B is [K, N], or [N, K].
  const aKContiguous = !s.transposeA;
  const bKContiguous = s.transposeB;
  const aVec4 = (aKContiguous ? s.k : s.m) % 4 === 0;
  const bVec4 = (bKContiguous ? s.k : s.n) % 4 === 0;
  const bReader = packed && frozenReader(packed, 'B');
  const loadA = operandLoader({ name: 'A', plan: p, side: ms, reader: a, kContiguous: aKContiguous, vec4: aVec4, rows: 'M', origin: 'm0', base: 'aBase', packed: null });
  const loadB = operandLoader({ name: 'B', plan: p, side: ns, reader: b, kContiguous: bKContiguous, vec4: bVec4, rows: 'N', origin: 'n0', base: 'bBase', packed: bReader });
  // Every product written out with named accumulators, so they are registers, not an indexed array.
  const rows = a.names.map((_, r) => r);
  const cols = b.names.map((_, c) => c);
  const declare = rows.flatMap((r) => cols.map((c) => `var acc${r}_${c} = 0.0;`)).join(' ');
  const multiply = rows.flatMap((r) => cols.map((c) => `acc${r}_${c} = fma(${a.names[r]}, ${b.names[c]}, acc${r}_${c});`)).join('\n          ');
  // The low-rank term's r products go into the same accumulators, its factors read straight from global memory.
  const lowRank = own.lowRank
    ? `for (var j = 0; j < uniforms.rank; j++) {
        ${rows.map((r) => `var l${r} = 0.0; { let gm = m0 + ${a.offset(r)}; if (gm < M) { l${r} = uniforms.lowRankScale * LOW_LEFT[gm * uniforms.rank + j]; } }`).join('\n        ')}
        ${cols.map((c) => `var u${c} = 0.0; { let gn = n0 + ${b.offset(c)}; if (gn < N) { u${c} = ${lowRight(own, 'j', 'gn')}; } }`).join('\n        ')}
        ${rows.flatMap((r) => cols.map((c) => `acc${r}_${c} = fma(l${r}, u${c}, acc${r}_${c});`)).join('\n        ')}
      }`
    : '';
  const store = rows
    .flatMap((r) =>
      cols.map(
        (c) => `{ let gm = m0 + ${a.offset(r)}; let gn = n0 + ${b.offset(c)};
          if (gm < M && gn < N) { let index = (z * M + gm) * N + gn; result[index] = ${whole ? withBias(`uniforms.alpha * acc${r}_${c}`, own, 'gn') : `acc${r}_${c}`}; } }`,
      ),
    )
    .join('\n      ');
  const walk = kWalk(causal, BM, BK);
  // The next tile's loads go out before this one is multiplied, and arrive while it is.
  const loadNext = `if (t + 1 < kTiles) {
          ${loadA.load(`k0 + ${BK}`)}
          ${loadB.load(`k0 + ${BK}`)}
        }`;
  const multiplyTile = `for (var kk = 0; kk < ${BK}; kk++) {
          ${a.read}
          ${b.read}
          ${multiply}
        }`;
  const singleBuffered = `for (var t = 0; t < kTiles; t++) {
        let k0 = kFrom + t * ${BK};
        ${loadA.store}
        ${loadB.store}
        workgroupBarrier();
        ${loadNext}
        ${multiplyTile}
        workgroupBarrier();
      }`;
  // Tile t is multiplied from one buffer while tile t + 1 is stored into the other: one barrier a tile (an
  // invocation cannot store into a buffer again before all have passed the barrier after multiplying from it).
  const doubleBuffered = `var AsWrite = 0; var BsWrite = 0;
      if (kTiles > 0) {
        ${loadA.store}
        ${loadB.store}
      }
      workgroupBarrier();
      for (var t = 0; t < kTiles; t++) {
        let k0 = kFrom + t * ${BK};
        let AsRead = (t % 2) * ${a.size}; let BsRead = (t % 2) * ${b.size};
        AsWrite = ${a.size} - AsRead; BsWrite = ${b.size} - BsRead;
        ${loadNext}
        ${multiplyTile}
        if (t + 1 < kTiles) {
          ${loadA.store}
          ${loadB.store}
        }
        workgroupBarrier();
      }`;
  const code = `
    ${bReader?.declarations ?? ''}
    ${a.declare}
    ${b.declare}
    ${causal ? 'var<workgroup> causalTiles : i32;' : ''}
    fn main() {
      let M = uniforms.m; let N = uniforms.n; let K = uniforms.k;
      let z = i32(workgroupId.z); // part * batches + batch
      let batch = z % uniforms.batches;
      let kBegin = (z / uniforms.batches) * uniforms.kChunk;
      let kEnd = min(K, kBegin + uniforms.kChunk);
      let m0 = i32(workgroupId.y) * ${BM};
      let n0 = i32(workgroupId.x) * ${BN};
      let tid = i32(localIndex);
      let tRow = tid / 16;
      let tCol = tid % 16;
      let aBase = batch * uniforms.aBatchStride;
      let bBase = batch * uniforms.bBatchStride;
      ${declare}
      ${loadA.declare} ${loadB.declare}
      ${walk.from}
      ${loadA.load('kFrom')}
      ${loadB.load('kFrom')}
      // The last part's extra tiles read zeros.
      ${walk.count}
      ${p.buffers === 2 ? doubleBuffered : singleBuffered}
      ${lowRank}
      ${store}
    }`;
  return {
    key: `tbGemm3_${s.transposeA}_${s.transposeB}_${BM}x${BN}${p.buffers === 2 ? 'x2' : ''}_${aVec4}_${bVec4}_${own.lowRank}_${own.bias}_${whole}_${causal}_k${BK}${p.loadOrder}${packed ? `_${layoutLabel(packed)}` : ''}`,
    inputs: ['A', ...(bReader?.inputs ?? ['B']), ...extraInputs(own)],
    // A packed B is bound as scalar words (and its tables as scalars).
    components: [aVec4 ? 4 : 1, ...(bReader ? bReader.inputs.map(() => 1) : [bVec4 ? 4 : 1]), ...extraInputs(own).map(() => 1)],
    outputShape: [split * s.batch, s.m, s.n],
    workgroupSize: [256, 1, 1],
    dispatch: [Math.ceil(s.n / BN), Math.ceil(s.m / BM), split * s.batch],
    uniforms: [...GEMM_UNIFORMS, ...(bReader?.uniforms ?? [])],
    flat: false,
    code,
  };
}

const GEMM_UNIFORMS: NonNullable<ProgramSpec['uniforms']> = [
  ['m', 'i32'],
  ['n', 'i32'],
  ['k', 'i32'],
  ['aBatchStride', 'i32'],
  ['bBatchStride', 'i32'],
  ['alpha', 'f32'],
  ['batches', 'i32'],
  ['kChunk', 'i32'],
  ['rank', 'i32'],
  ['lowRankScale', 'f32'],
  ['causalPeriod', 'i32'],
];

/** C = alpha · (sum of the `split` partial products + the low-rank term) (+ the extras), one invocation per element of C. */
function sumPartsProgram(shape: number[], split: number, extras: Extras): ProgramSpec {
  const parts = Array.from({ length: split }, (_, i) => `P[${i} * uniforms.count + index]`).join(' + ');
  const lowRank = extras.lowRank
    ? `for (var j = 0; j < uniforms.rank; j++) { low = fma(uniforms.lowRankScale * LOW_LEFT[row * uniforms.rank + j], ${lowRight(extras, 'j', 'column')}, low); }`
    : '';
  return elementwise({
    key: `tbGemmSum_${split}_${extras.lowRank}_${extras.bias}`,
    inputs: ['P', ...extraInputs(extras)],
    outputShape: shape,
    uniforms: [
      ['alpha', 'f32'],
      ['n', 'i32'],
      ['rank', 'i32'],
      ['lowRankScale', 'f32'],
    ],
    body: `
        let row = index / uniforms.n;
        let column = index % uniforms.n;
        var low = 0.0;
        ${lowRank}
        result[index] = ${withBias(`uniforms.alpha * (${parts} + low)`, extras, 'column')};`,
  });
}

/**
 * The GEMM kernel's revision: a hash of its WGSL for one product with every feature (a low-rank term, a bias,
 * two buffers, loads by rows) and of the loads of each packed B, so that plans tuned for other code are not
 * reused (tuned-plan-store.ts).
 */
export function gemmRevision(): string {
  const s: GemmShape = { batch: 1, m: 256, n: 256, k: 256, transposeA: false, transposeB: true };
  const p: Plan = { ...plan(s), buffers: 2, loadOrder: 'rows' };
  const hash = createHash('sha256').update(gemmProgram(s, p, { lowRank: 'transposed', bias: true }, 'kKeys').code);
  for (const layout of PACKED_LAYOUTS) hash.update(frozenReader(layout, 'B').declarations);
  return hash.digest('hex').slice(0, 12);
}

const PACKED_LAYOUTS: readonly FrozenLayout[] = [
  { format: 'bf16', scales: null },
  { format: 'fp16', scales: null },
  { format: 'nf4', scales: 'nested' },
  { format: 'nf4', scales: 'plain' },
];

/** B as gemmWebgpu takes it: float32 values [batch or 1, k, n] ([.., n, k] transposed), or one row block of a packed frozen matrix. */
export type GemmB = tf.Tensor3D | { readonly matrix: FrozenMatrix; readonly block: number };

/** Programs by shape and plan: building the WGSL text is not free, and a training step asks for the same few hundred times. */
const programs = new Map<string, { gemm: ProgramSpec; sum: ProgramSpec | null }>();

/** The product with the plan gemm-plan.ts gives it, or with `forced` (the tuner timing each candidate). */
export function gemmWebgpu(a: tf.Tensor3D, b: GemmB, { lowRank, bias }: GemmAddends, s: GemmShape, alpha: number, causal: Causal | null, forced: Plan | null = null): tf.Tensor3D {
  const packed = 'matrix' in b ? b : null; // a frozen matrix's block is one B for every batch
  const layout = packed && frozenLayout(packed.matrix);
  const strideA = a.shape[0] === 1 ? 0 : s.m * s.k;
  const strideB = packed || (b as tf.Tensor3D).shape[0] === 1 ? 0 : s.k * s.n;
  const extras: Extras = { lowRank: lowRank ? (lowRank.transposeRight ? 'transposed' : 'plain') : null, bias: bias !== null };
  const product = { shape: s, batchedB: strideB !== 0, packedB: layout, lowRank: lowRank ? { rank: lowRank.left.shape[1], transposeRight: lowRank.transposeRight } : null, bias: bias !== null, causal };
  const p = forced ?? planFor(product, deviceLimits());
  const key = `${s.batch}_${s.m}_${s.n}_${s.k}_${s.transposeA}_${s.transposeB}_${extras.lowRank}_${extras.bias}_${causal?.part}_${layout && layoutLabel(layout)}_${planLabel(p)}`;
  let entry = programs.get(key);
  if (!entry) {
    if (programs.size > 512) programs.clear(); // varying sequence lengths make new shapes every step
    entry = { gemm: gemmProgram(s, p, extras, causal?.part ?? null, layout), sum: p.split > 1 ? sumPartsProgram([s.batch, s.m, s.n], p.split, extras) : null };
    programs.set(key, entry);
  }
  const { gemm, sum } = entry;
  const bTensors = packed ? readerTensors(packed.matrix, packed.block) : [b as tf.Tensor3D];
  // In extraInputs' order.
  const extraTensors: tf.Tensor[] = [...(lowRank ? [lowRank.left, lowRank.right] : []), ...(bias ? [bias] : [])];
  const [rank, lowRankScale] = lowRank ? [lowRank.left.shape[1], lowRank.scale] : [0, 0];
  const uniforms = [s.m, s.n, s.k, strideA, strideB, alpha, s.batch, p.kChunk, rank, lowRankScale, causal?.period ?? 0, ...(packed ? readerUniforms(packed.matrix, packed.block) : [])];
  if (!sum) return runProgram(gemm, [a, ...bTensors, ...extraTensors], uniforms) as tf.Tensor3D;
  const parts = runProgram(gemm, [a, ...bTensors], uniforms); // [split * batch, m, n]
  const c = runProgram(sum, [parts, ...extraTensors], [s.batch * s.m * s.n, alpha, s.n, rank, lowRankScale]) as tf.Tensor3D;
  parts.dispose();
  return c;
}
