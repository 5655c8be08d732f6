/**
 * `frozenRows(matrix, ids)`: the rows of a frozen matrix at `ids` ([N] int32) as float32 [N, cols], the embedding
 * lookup. No gradient: the matrix is frozen, and the ids are not differentiable. One float32 tensor is gathered by
 * tfjs; a packed matrix or one in row blocks (webgpu) by a kernel that widens each row as it copies it, one program
 * per row block, each taking the rows its block holds and the previous block's result for the rest.
 */
import * as tf from '../backend/tf';
import type { FrozenMatrix } from './frozen-matrix';
import { frozenLayout, frozenReader, layoutLabel, readerTensors, readerUniforms } from './frozen-reader';
import { elementwise, runProgram } from './webgpu-kernel';

export function frozenRows(matrix: FrozenMatrix, ids: tf.Tensor1D): tf.Tensor2D {
  if (matrix.isPlain) return tf.gather(matrix.tensor(), ids);
  const layout = frozenLayout(matrix);
  const reader = frozenReader(layout, 'W');
  const outputShape = [ids.shape[0], matrix.cols];
  let result: tf.Tensor | null = null;
  for (const [block, { firstRow, rows }] of matrix.blocks.entries()) {
    const previous = result;
    const spec = elementwise({
      key: `tbFrozenRows_${layoutLabel(layout)}_${previous ? 'after' : 'first'}`,
      inputs: ['IDS', ...reader.inputs, ...(previous ? ['PREVIOUS'] : [])],
      outputShape,
      uniforms: [['cols', 'i32'], ['firstRow', 'i32'], ['rows', 'i32'], ...reader.uniforms],
      body: `
        let row = IDS[index / uniforms.cols] - uniforms.firstRow;
        if (row >= 0 && row < uniforms.rows) {
          result[index] = ${reader.at('row * uniforms.cols + index % uniforms.cols')};
        } else {
          result[index] = ${previous ? 'PREVIOUS[index]' : '0.0'};
        }`,
    });
    const size = outputShape[0]! * outputShape[1]!;
    result = runProgram({ ...spec, code: `${reader.declarations}\n${spec.code}` }, [ids, ...readerTensors(matrix, block), ...(previous ? [previous] : [])], [size, matrix.cols, firstRow, rows, ...readerUniforms(matrix, block)]);
    previous?.dispose();
  }
  return result as tf.Tensor2D;
}
