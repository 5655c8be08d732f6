import * as tf from '../backend/tf';

/** Keys and values of past positions for each layer, [B, kvHeads, S, headDim], kept outside tf.tidy scopes. */
export class KVCache {
  private readonly keys: Array<tf.Tensor4D | null>;
  private readonly values: Array<tf.Tensor4D | null>;
  /** Positions already cached (the same for every layer once a forward pass has finished). */
  length = 0;

  constructor(numLayers: number) {
    this.keys = new Array(numLayers).fill(null);
    this.values = new Array(numLayers).fill(null);
  }

  /** Appends this step's k and v for `layer` and returns the whole history, [B, kvHeads, S, headDim]. */
  append(layer: number, k: tf.Tensor4D, v: tf.Tensor4D): { k: tf.Tensor4D; v: tf.Tensor4D } {
    const oldK = this.keys[layer];
    const oldV = this.values[layer];
    const newK = tf.keep(oldK ? tf.concat([oldK, k], 2) : k.clone());
    const newV = tf.keep(oldV ? tf.concat([oldV, v], 2) : v.clone());
    oldK?.dispose();
    oldV?.dispose();
    this.keys[layer] = newK;
    this.values[layer] = newV;
    return { k: newK, v: newV };
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t?.dispose();
    this.keys.fill(null);
    this.values.fill(null);
    this.length = 0;
  }
}
