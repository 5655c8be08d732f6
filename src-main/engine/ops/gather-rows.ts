/**
 * `gatherRows(x, indices)`: rows of x ([N, ...]) at `indices`, with a gradient that scatters back.
 * tfjs's own Gather gradient needs the UnsortedSegmentSum kernel, which the wasm backend lacks;
 * ScatterNd exists on every backend, and with distinct indices a scatter is the exact gradient.
 */
import * as tf from '../backend/tf';

export function gatherRows(x: tf.Tensor, indices: Int32Array): tf.Tensor {
  const op = tf.customGrad((input, save) => {
    const idx = tf.tensor1d(indices, 'int32');
    // Saved tensors are kept until backpropagation has run, unlike anything this tidy scope owns.
    (save as tf.GradSaveFunc)([idx]);
    return {
      value: tf.gather(input as tf.Tensor, idx),
      // tfjs frees what a custom gradient makes only when the whole backward pass ends: tidy it here.
      gradFunc: (dy, [saved]) => tf.tidy(() => tf.scatterND(saved!.expandDims(1), dy as tf.Tensor, (input as tf.Tensor).shape)),
    };
  });
  return op(x);
}
