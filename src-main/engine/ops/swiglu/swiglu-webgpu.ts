/** SwiGLU's gating in WGSL: one invocation per element, forward and each of the two input gradients. */
import * as tf from '../../backend/tf';
import { elementwise, runProgram, type ProgramSpec } from '../webgpu-kernel';

type Output = 'forward' | 'dGate' | 'dUp';

const formulas: Record<Output, string> = {
  forward: 'g * s * u',
  dGate: 'DY[index] * u * s * (1.0 + g * (1.0 - s))',
  dUp: 'DY[index] * g * s',
};

function program(shape: number[], output: Output): ProgramSpec {
  return elementwise({
    key: `tbSwiglu_${output}`,
    inputs: output === 'forward' ? ['G', 'U'] : ['G', 'U', 'DY'],
    outputShape: shape,
    body: `
        let g = G[index];
        let u = U[index];
        let s = 1.0 / (1.0 + exp(-g));
        result[index] = ${formulas[output]};`,
  });
}

export function swigluWebgpu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  return runProgram(program(gate.shape, 'forward'), [gate, up], [gate.size]);
}

export function swigluBackwardWebgpu(dy: tf.Tensor, gate: tf.Tensor, up: tf.Tensor): [tf.Tensor, tf.Tensor] {
  return [runProgram(program(gate.shape, 'dGate'), [gate, up, dy], [gate.size]), runProgram(program(gate.shape, 'dUp'), [gate, up, dy], [gate.size])];
}
