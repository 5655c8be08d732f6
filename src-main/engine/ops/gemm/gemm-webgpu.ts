/**
 * GEMM in WGSL: C = alpha · op(A) · op(B) (+ D), batched, with either operand transposed in place.
 * Each workgroup of 256 invocations computes a BM x BN tile of C, each invocation TM x TN of it, strided
 * so that neighbouring invocations read neighbouring shared-memory words and write neighbouring outputs.
 * K is walked in steps of BK through workgroup memory; rows are padded by one word against bank conflicts.
 * Tile sizes follow the shape: 128 x 128 for large products, 16 along a LoRA rank, 64 otherwise.
 */
import { runProgram, type ProgramSpec } from '../webgpu-kernel';
import type { GemmShape } from './gemm-reference';
import type * as tf from '../../backend/tf';

const BK = 16;

interface Tile {
  block: number;
  perThread: number;
}

/** 128/8 for a dimension that is large when the other one is not small, 16/1 for a small one, 64/4 between. */
function tileFor(dim: number, other: number): Tile {
  if (dim <= 32) return { block: 16, perThread: 1 };
  if (dim >= 1024 && other >= 256) return { block: 128, perThread: 8 };
  return { block: 64, perThread: 4 };
}

function gemmProgram(s: GemmShape, hasAddend: boolean): ProgramSpec {
  const m = tileFor(s.m, s.n);
  const n = tileFor(s.n, s.m);
  const [BM, TM, BN, TN] = [m.block, m.perThread, n.block, n.perThread];
  const [RM, RN] = [BM / TM, BN / TN]; // invocations along M and N: RM * RN = 256
  const [PM, PN] = [BM + 1, BN + 1]; // padded rows of the shared tiles
  // op(A)[m][k]: A is [M, K] row-major, or [K, M] when transposed. op(B)[k][n]: B is [K, N], or [N, K].
  // Consecutive invocations load consecutive addresses of whichever layout the operand has.
  const loadA = s.transposeA
    ? `let kk = i / ${BM}; let mm = i % ${BM}; let gm = m0 + mm; let gk = k0 + kk;
       var v = 0.0; if (gm < M && gk < K) { v = A[aBase + gk * M + gm]; } As[kk * ${PM} + mm] = v;`
    : `let mm = i / ${BK}; let kk = i % ${BK}; let gm = m0 + mm; let gk = k0 + kk;
       var v = 0.0; if (gm < M && gk < K) { v = A[aBase + gm * K + gk]; } As[kk * ${PM} + mm] = v;`;
  const loadB = s.transposeB
    ? `let nn = i / ${BK}; let kk = i % ${BK}; let gn = n0 + nn; let gk = k0 + kk;
       var v = 0.0; if (gn < N && gk < K) { v = B[bBase + gn * K + gk]; } Bs[kk * ${PN} + nn] = v;`
    : `let kk = i / ${BN}; let nn = i % ${BN}; let gn = n0 + nn; let gk = k0 + kk;
       var v = 0.0; if (gn < N && gk < K) { v = B[bBase + gk * N + gn]; } Bs[kk * ${PN} + nn] = v;`;
  // The inner product is written out in full (TM x TN named accumulators, TM + TN operands per k), so the
  // accumulators are registers rather than an indexed array the compiler may leave in local memory.
  const rows = Array.from({ length: TM }, (_, r) => r);
  const cols = Array.from({ length: TN }, (_, c) => c);
  const declare = rows.flatMap((r) => cols.map((c) => `var acc${r}_${c} = 0.0;`)).join(' ');
  const readA = rows.map((r) => `let a${r} = As[kk * ${PM} + tRow + ${r * RM}];`).join(' ');
  const readB = cols.map((c) => `let b${c} = Bs[kk * ${PN} + tCol + ${c * RN}];`).join(' ');
  const multiply = rows.flatMap((r) => cols.map((c) => `acc${r}_${c} = fma(a${r}, b${c}, acc${r}_${c});`)).join('\n          ');
  const store = rows
    .flatMap((r) =>
      cols.map(
        (c) => `{ let gm = m0 + tRow + ${r * RM}; let gn = n0 + tCol + ${c * RN};
          if (gm < M && gn < N) { let index = (batch * M + gm) * N + gn; result[index] = uniforms.alpha * acc${r}_${c}${hasAddend ? ' + D[index]' : ''}; } }`,
      ),
    )
    .join('\n      ');
  const code = `
    var<workgroup> As : array<f32, ${BK * PM}>;
    var<workgroup> Bs : array<f32, ${BK * PN}>;
    fn main() {
      let M = uniforms.m; let N = uniforms.n; let K = uniforms.k;
      let batch = i32(workgroupId.z);
      let m0 = i32(workgroupId.y) * ${BM};
      let n0 = i32(workgroupId.x) * ${BN};
      let tid = i32(localIndex);
      let tRow = tid / ${RN};
      let tCol = tid % ${RN};
      let aBase = batch * uniforms.aBatchStride;
      let bBase = batch * uniforms.bBatchStride;
      ${declare}
      for (var k0 = 0; k0 < K; k0 += ${BK}) {
        for (var i = tid; i < ${BM * BK}; i += 256) { ${loadA} }
        for (var i = tid; i < ${BN * BK}; i += 256) { ${loadB} }
        workgroupBarrier();
        for (var kk = 0; kk < ${BK}; kk++) {
          ${readA}
          ${readB}
          ${multiply}
        }
        workgroupBarrier();
      }
      ${store}
    }`;
  return {
    key: `tbGemm_${s.transposeA}_${s.transposeB}_${BM}x${BN}_${TM}x${TN}_${hasAddend}`,
    inputs: hasAddend ? ['A', 'B', 'D'] : ['A', 'B'],
    outputShape: [s.batch, s.m, s.n],
    workgroupSize: [256, 1, 1],
    dispatch: [Math.ceil(s.n / BN), Math.ceil(s.m / BM), s.batch],
    uniforms: [['m', 'i32'], ['n', 'i32'], ['k', 'i32'], ['aBatchStride', 'i32'], ['bBatchStride', 'i32'], ['alpha', 'f32']],
    flat: false,
    code,
  };
}

/** Programs by shape class: building the WGSL text is not free, and a training step asks for the same few hundred times. */
const programs = new Map<string, ProgramSpec>();

export function gemmWebgpu(a: tf.Tensor3D, b: tf.Tensor3D, addend: tf.Tensor3D | null, s: GemmShape, alpha: number): tf.Tensor3D {
  const strideA = a.shape[0] === 1 ? 0 : s.m * s.k;
  const strideB = b.shape[0] === 1 ? 0 : s.k * s.n;
  const key = `${s.batch}_${s.m}_${s.n}_${s.k}_${s.transposeA}_${s.transposeB}_${addend !== null}`;
  let program = programs.get(key);
  if (!program) {
    if (programs.size > 512) programs.clear(); // varying sequence lengths make new shapes every step
    programs.set(key, (program = gemmProgram(s, addend !== null)));
  }
  return runProgram(program, addend ? [a, b, addend] : [a, b], [s.m, s.n, s.k, strideA, strideB, alpha]) as tf.Tensor3D;
}
