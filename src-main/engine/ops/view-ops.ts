/**
 * Reshape, transpose and add for the model's taped path, with backward passes that release their dy. tfjs's own
 * keep every dy until the backward pass ends, and the gradient of a reshape or an add shares its dy's buffer, so
 * through them each gradient of the model stayed alive to the end (on lavapipe, Qwen2.5-0.5B's shape at 4 x 512:
 * about 190 MB a layer).
 */
import * as tf from '../backend/tf';
import { releaseAfterBackward } from './release-after-backward';

export function reshape<R extends tf.Rank>(x: tf.Tensor, shape: number[]): tf.Tensor<R> {
  const op = tf.customGrad((input) => ({
    value: (input as tf.Tensor).reshape(shape),
    gradFunc: (dy) => releaseAfterBackward([dy as tf.Tensor], () => (dy as tf.Tensor).reshape(x.shape)),
  }));
  return op(x) as tf.Tensor<R>;
}

export function transpose<T extends tf.Tensor>(x: T, perm: number[]): T {
  const inverse = perm.map((_, i) => perm.indexOf(i));
  const op = tf.customGrad((input) => ({
    value: tf.transpose(input as tf.Tensor, perm),
    gradFunc: (dy) => releaseAfterBackward([dy as tf.Tensor], () => tf.transpose(dy as tf.Tensor, inverse)),
  }));
  return op(x) as T;
}

/** a + b for tensors of the same shape (the residual connections). */
export function add<T extends tf.Tensor>(a: T, b: tf.Tensor): T {
  if (!tf.util.arraysEqual(a.shape, b.shape)) throw new Error(`add: shapes [${a.shape}] and [${b.shape}] differ`);
  const op = tf.customGrad((x, y) => ({
    value: tf.add(x as tf.Tensor, y as tf.Tensor),
    gradFunc: (dy) => releaseAfterBackward([dy as tf.Tensor], () => [(dy as tf.Tensor).clone(), (dy as tf.Tensor).clone()]),
  }));
  return op(a, b) as T;
}
