/**
 * A run that runs out of the wasm heap mid-run (a memory limit below what its batch needs): the failure names the
 * step, the phase and the sizes, run.json records it with the fixes, the checkpoints stay, and a resume with the
 * first fix, in the same engine, finishes the run. And a gradient that fails midway leaves no tensor behind.
 */
import { expect, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import * as tf from '../../src-main/engine/backend/tf';
import { freeingTapeOnFailure } from '../../src-main/engine/ops/tape-state';
import { failAndResumeWithFix } from '../out-of-memory-run';

test('out of memory at step 3 on wasm: the message, the kept checkpoint, and a resume with the suggested settings', async () => {
  await failAndResumeWithFix('wasm', 'the wasm heap');
});

test('a gradient that fails midway frees what its tape and its custom ops saved for the backward pass', async () => {
  await initBackend('wasm');
  const w = tf.variable(tf.ones([4, 4]));
  const before = tf.memory().numTensors;
  const failing = (f: (x: tf.Tensor) => tf.Tensor) => () => freeingTapeOnFailure(() => tf.variableGrads(() => f(w).sum() as tf.Scalar, [w]));
  // square saves its input on tfjs's tape; the custom op saves its inputs, then fails making its output.
  const savesThenFails = tf.customGrad((x, save) => {
    (save as tf.GradSaveFunc)([x as tf.Tensor, tf.exp(x as tf.Tensor)]);
    throw new Error('out of memory');
  });
  expect(failing((x) => savesThenFails(tf.square(x)))).toThrow('out of memory');
  expect(tf.memory().numTensors).toBe(before);
  // The tape is gone with them: the next gradient is whole.
  const { value, grads } = tf.variableGrads(() => tf.square(w).sum() as tf.Scalar, [w]);
  expect(Array.from(await grads[w.name]!.data())).toEqual(new Array(16).fill(2));
  tf.dispose([value, ...Object.values(grads)]);
  expect(tf.memory().numTensors).toBe(before);
  w.dispose();
});
