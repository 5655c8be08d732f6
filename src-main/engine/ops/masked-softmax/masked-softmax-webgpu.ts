/**
 * Attention's masked softmax in WGSL, one workgroup per row of scores, the bias row picked by (batch, query
 * position) so it is never broadcast in memory; and the softmax's backward pass, one workgroup per row.
 */
import type * as tf from '../../backend/tf';
import { rowDispatch, runProgram, workgroupReduction, type ProgramSpec } from '../webgpu-kernel';

const THREADS = 128;
const { declarations, reduce } = workgroupReduction(THREADS);

function forwardProgram(shape: number[]): ProgramSpec {
  const [B, G, T] = shape as [number, number, number, number];
  return {
    key: 'tbMaskedSoftmax',
    inputs: ['X', 'BIAS'],
    outputShape: shape,
    ...rowDispatch(B * G * T, THREADS),
    code: `${declarations}
      fn main(index : i32) {
        let row = index / ${THREADS};
        let tid = i32(localIndex);
        let S = uniforms.xShape[3];
        let T = uniforms.xShape[2];
        let base = row * S;
        let biasBase = ((row / (uniforms.xShape[1] * T)) * T + row % T) * S; // bias row: (batch, query position)
        var m = -3.402823e+38;
        for (var c = tid; c < S; c += ${THREADS}) { m = max(m, X[base + c] + BIAS[biasBase + c]); }
        ${reduce('m', 'max', 'rowMax')}
        var sum = 0.0;
        for (var c = tid; c < S; c += ${THREADS}) { sum += exp(X[base + c] + BIAS[biasBase + c] - rowMax); }
        ${reduce('sum', 'sumOf', 'total')}
        for (var c = tid; c < S; c += ${THREADS}) { result[base + c] = exp(X[base + c] + BIAS[biasBase + c] - rowMax) / total; }
      }`,
  };
}

function backwardProgram(shape: number[]): ProgramSpec {
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return {
    key: 'tbSoftmaxBackward',
    inputs: ['DY', 'Y'],
    outputShape: shape,
    ...rowDispatch(rows, THREADS),
    code: `${declarations}
      fn main(index : i32) {
        let row = index / ${THREADS};
        let tid = i32(localIndex);
        let S = uniforms.yShape[3];
        let base = row * S;
        var dot = 0.0;
        for (var c = tid; c < S; c += ${THREADS}) { dot = fma(DY[base + c], Y[base + c], dot); }
        ${reduce('dot', 'sumOf', 'total')}
        for (var c = tid; c < S; c += ${THREADS}) { result[base + c] = Y[base + c] * (DY[base + c] - total); }
      }`,
  };
}

export function maskedSoftmaxWebgpu(scores: tf.Tensor4D, bias: tf.Tensor4D): tf.Tensor4D {
  return runProgram(forwardProgram(scores.shape), [scores, bias]) as tf.Tensor4D;
}

export function softmaxBackwardWebgpu(dy: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor4D {
  return runProgram(backwardProgram(y.shape), [dy, y]) as tf.Tensor4D;
}
