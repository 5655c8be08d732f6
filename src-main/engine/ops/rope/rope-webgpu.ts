/** Rotary embedding in WGSL: one invocation per element; `sign` −1 applies the inverse rotation (the backward pass). */
import type * as tf from '../../backend/tf';
import { elementDispatch, runProgram, type ProgramSpec } from '../webgpu-kernel';

function program(shape: number[]): ProgramSpec {
  return {
    key: 'tbRope',
    inputs: ['X', 'COS', 'SIN'],
    outputShape: shape,
    ...elementDispatch(shape.reduce((a, b) => a * b, 1)),
    uniforms: [['count', 'i32'], ['sign', 'f32']],
    code: `
      fn main(index : i32) {
        if (index >= uniforms.count) { return; }
        let d = uniforms.xShape[3];
        let half = d / 2;
        let i = index % d;
        let t = (index / (d * uniforms.xShape[2])) % uniforms.xShape[1];
        var partner = 0.0;
        if (i < half) { partner = -X[index + half]; } else { partner = X[index - half]; }
        result[index] = X[index] * COS[t * d + i] + uniforms.sign * partner * SIN[t * d + i];
      }`,
  };
}

export function ropeWebgpu(x: tf.Tensor4D, cos: tf.Tensor3D, sin: tf.Tensor3D, sign: 1 | -1): tf.Tensor4D {
  return runProgram(program(x.shape), [x, cos, sin], [x.size, sign]) as tf.Tensor4D;
}
