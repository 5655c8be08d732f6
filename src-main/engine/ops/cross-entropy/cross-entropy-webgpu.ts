/**
 * Cross-entropy over rows of logits in WGSL, one workgroup per row: the row's max and sum of exponentials
 * reduced in workgroup memory, then either the row's loss (forward) or its gradient (softmax − onehot) · dy.
 * Targets are read at `rowOffset + row` of one int32 tensor for the whole batch, so chunks need no slicing.
 */
import type * as tf from '../../backend/tf';
import { rowDispatch, runProgram, workgroupReduction, type ProgramSpec } from '../webgpu-kernel';

const THREADS = 256;
const { declarations, reduce } = workgroupReduction(THREADS);

function program(rows: number, vocab: number, gradient: boolean): ProgramSpec {
  const finish = gradient
    ? `let label = targets[uniforms.rowOffset + row];
       let scale = dy[0];
       for (var c = tid; c < V; c += ${THREADS}) {
         var g = exp(logits[base + c] - rowMax) / total;
         if (c == label) { g = g - 1.0; }
         result[base + c] = g * scale;
       }`
    : `if (tid == 0) { result[row] = log(total) + rowMax - logits[base + targets[uniforms.rowOffset + row]]; }`;
  return {
    key: `tbCrossEntropy_${gradient}`,
    inputs: gradient ? ['logits', 'targets', 'dy'] : ['logits', 'targets'],
    outputShape: gradient ? [rows, vocab] : [rows],
    ...rowDispatch(rows, THREADS),
    uniforms: [['rowOffset', 'i32']],
    code: `
      ${declarations}
      fn main(index : i32) {
        let row = index / ${THREADS};
        let tid = i32(localIndex);
        let V = uniforms.logitsShape[1];
        let base = row * V;
        var m = -3.402823e+38;
        for (var c = tid; c < V; c += ${THREADS}) { m = max(m, logits[base + c]); }
        ${reduce('m', 'max', 'rowMax')}
        var s = 0.0;
        for (var c = tid; c < V; c += ${THREADS}) { s += exp(logits[base + c] - rowMax); }
        ${reduce('s', 'sumOf', 'total')}
        ${finish}
      }`,
  };
}

/** Per-row losses [c] of logits [c, V] against targets[rowOffset .. rowOffset + c]. */
export function crossEntropyRowsWebgpu(logits: tf.Tensor2D, targets: tf.Tensor1D, rowOffset: number): tf.Tensor1D {
  return runProgram(program(logits.shape[0], logits.shape[1], false), [logits, targets], [rowOffset]) as tf.Tensor1D;
}

export function crossEntropyGradWebgpu(logits: tf.Tensor2D, targets: tf.Tensor1D, rowOffset: number, dy: tf.Scalar): tf.Tensor2D {
  return runProgram(program(logits.shape[0], logits.shape[1], true), [logits, targets, dy], [rowOffset]) as tf.Tensor2D;
}
