/**
 * Rotary embedding in WGSL, one invocation per output element, swapping axes 1 and 2 as it writes. Forward:
 * [B, T, heads, D] → [B, heads, T, D], rotated. Backward: [B, heads, T, D] → [B, T, heads, D], rotated back (sin
 * negated). Either way the input is [B, A2, A1, D] for an output [B, A1, A2, D]; the position is A2 forward, A1
 * backward.
 */
import type * as tf from '../../backend/tf';
import { elementwise, runProgram, type ProgramSpec } from '../webgpu-kernel';

export type RopeDirection = 'forward' | 'backward';

function program(outShape: number[], direction: RopeDirection): ProgramSpec {
  return elementwise({
    key: `tbRope_${direction}`,
    inputs: ['X', 'COS', 'SIN'],
    outputShape: outShape,
    body: `
        let d = uniforms.xShape[3];
        let a2Size = uniforms.xShape[1];
        let a1Size = uniforms.xShape[2];
        let i = index % d;
        let a2 = (index / d) % a2Size;
        let a1 = (index / (d * a2Size)) % a1Size;
        let b = index / (d * a2Size * a1Size);
        let src = ((b * a2Size + a2) * a1Size + a1) * d; // the same vector in the input's layout
        let t = ${direction === 'forward' ? 'a2' : 'a1'};
        let half = d / 2;
        var partner = 0.0;
        if (i < half) { partner = -X[src + i + half]; } else { partner = X[src + i - half]; }
        result[index] = X[src + i] * COS[t * d + i] ${direction === 'forward' ? '+' : '-'} partner * SIN[t * d + i];`,
  });
}

export function ropeWebgpu(x: tf.Tensor4D, cos: tf.Tensor3D, sin: tf.Tensor3D, direction: RopeDirection): tf.Tensor4D {
  const [b, a2, a1, d] = x.shape;
  return runProgram(program([b, a1, a2, d], direction), [x, cos, sin], [x.size]) as tf.Tensor4D;
}
