/**
 * Rotary position embeddings, computed as transformers does (float32 inverse frequencies,
 * `rotate_half` pairing of the first and second halves of each head).
 */
import * as tf from '../backend/tf';
import type { RopeScaling } from '../formats/model-config';
import { rope } from '../ops/rope/rope';

export class Rope {
  private readonly invFreq: Float32Array;

  constructor(
    readonly headDim: number,
    theta: number,
    scaling: RopeScaling,
  ) {
    this.invFreq = scaledInverseFrequencies(headDim, theta, scaling);
  }

  /** cos and sin for `positions`, each [T, 1, headDim], to broadcast over heads. */
  tables(positions: readonly number[]): { cos: tf.Tensor3D; sin: tf.Tensor3D } {
    const d = this.headDim;
    const half = d / 2;
    const cos = new Float32Array(positions.length * d);
    const sin = new Float32Array(positions.length * d);
    positions.forEach((p, t) => {
      for (let i = 0; i < half; i++) {
        const angle = Math.fround(p * this.invFreq[i]!);
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        cos[t * d + i] = cos[t * d + i + half] = c;
        sin[t * d + i] = sin[t * d + i + half] = s;
      }
    });
    return { cos: tf.tensor3d(cos, [positions.length, 1, d]), sin: tf.tensor3d(sin, [positions.length, 1, d]) };
  }

  /** x: [B, T, heads, headDim] → [B, heads, T, headDim], rotated by position (heads first, as attention wants). */
  apply(x: tf.Tensor4D, cos: tf.Tensor3D, sin: tf.Tensor3D): tf.Tensor4D {
    return rope(x, cos, sin);
  }
}

function scaledInverseFrequencies(dim: number, theta: number, scaling: RopeScaling): Float32Array {
  const inv = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) inv[i] = 1 / Math.fround(Math.pow(theta, Math.fround((2 * i) / dim)));
  if (scaling.type === 'linear') return inv.map((f) => f / scaling.factor);
  if (scaling.type === 'llama3') {
    // Llama 3.1+: long wavelengths are slowed down by `factor`, short ones kept, the band between interpolated.
    const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: oldLen } = scaling;
    const lowFreqWavelen = oldLen / lowFreqFactor;
    const highFreqWavelen = oldLen / highFreqFactor;
    return inv.map((f) => {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < highFreqWavelen) return f;
      if (wavelen > lowFreqWavelen) return f / factor;
      const smooth = (oldLen / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
      return (1 - smooth) * (f / factor) + smooth * f;
    });
  }
  return inv;
}
