/**
 * RMSNorm in WGSL, one workgroup per row: the sum of squares (and for the backward pass, of g·x) reduced in
 * workgroup memory, then the row written in one sweep.
 */
import type * as tf from '../../backend/tf';
import { rowDispatch, runProgram, workgroupReduction, type ProgramSpec } from '../webgpu-kernel';

const THREADS = 256;
const { declarations, reduce } = workgroupReduction(THREADS);

function program(rows: number, cols: number, backward: boolean): ProgramSpec {
  const sumSquares = `var sq = 0.0; for (var c = tid; c < cols; c += ${THREADS}) { let v = X[base + c]; sq = fma(v, v, sq); }`;
  const forward = `
    ${sumSquares}
    ${reduce('sq', 'sumOf', 'total')}
    let r = inverseSqrt(total / f32(cols) + uniforms.eps);
    for (var c = tid; c < cols; c += ${THREADS}) { result[base + c] = X[base + c] * r * W[c]; }`;
  const back = `
    ${sumSquares}
    var gx = 0.0; for (var c = tid; c < cols; c += ${THREADS}) { gx = fma(DY[base + c] * W[c], X[base + c], gx); }
    ${reduce('sq', 'sumOf', 'total')}
    ${reduce('gx', 'sumOf', 'totalGx')}
    let r = inverseSqrt(total / f32(cols) + uniforms.eps);
    let k = r * r * r * totalGx / f32(cols);
    for (var c = tid; c < cols; c += ${THREADS}) { result[base + c] = DY[base + c] * W[c] * r - X[base + c] * k; }`;
  return {
    key: `tbRmsNorm_${backward}`,
    inputs: backward ? ['DY', 'X', 'W'] : ['X', 'W'],
    outputShape: [rows, cols],
    ...rowDispatch(rows, THREADS),
    uniforms: [['eps', 'f32']],
    code: `
      ${declarations}
      fn main(index : i32) {
        let row = index / ${THREADS};
        let tid = i32(localIndex);
        let cols = uniforms.xShape[1];
        let base = row * cols;
        ${backward ? back : forward}
      }`,
  };
}

export function rmsNormWebgpu(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  return runProgram(program(x.shape[0], x.shape[1], false), [x, weight], [eps]) as tf.Tensor2D;
}

export function rmsNormBackwardWebgpu(dy: tf.Tensor2D, x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  return runProgram(program(x.shape[0], x.shape[1], true), [dy, x, weight], [eps]) as tf.Tensor2D;
}
