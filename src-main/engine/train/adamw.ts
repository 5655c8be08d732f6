/**
 * AdamW exactly as torch.optim.AdamW (decoupled weight decay, bias correction, eps outside the sqrt):
 *   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   p ← p − (lr / (1−β1^t)) · m / (sqrt(v) / sqrt(1−β2^t) + eps)
 * Only the parameters given to it have state: frozen base weights never get any.
 */
import * as tf from '../backend/tf';

export interface AdamWOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

export interface AdamWState {
  readonly step: number;
  /** First and second moments by parameter key. */
  readonly m: ReadonlyMap<string, tf.Tensor>;
  readonly v: ReadonlyMap<string, tf.Tensor>;
}

export class AdamW {
  private t = 0;
  private readonly m = new Map<string, tf.Tensor>();
  private readonly v = new Map<string, tf.Tensor>();

  constructor(
    private readonly params: ReadonlyArray<{ readonly key: string; readonly variable: tf.Variable }>,
    private readonly options: AdamWOptions,
  ) {
    for (const p of params) {
      this.m.set(p.key, tf.keep(tf.zerosLike(p.variable)));
      this.v.set(p.key, tf.keep(tf.zerosLike(p.variable)));
    }
  }

  get step(): number {
    return this.t;
  }

  /** One update with `grads` (by key) at learning rate `lr`. */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.t++;
    const { beta1, beta2, eps, weightDecay } = this.options;
    const stepSize = lr / (1 - beta1 ** this.t);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.t);
    for (const { key, variable } of this.params) {
      const g = grads.get(key);
      if (!g) throw new Error(`no gradient for ${key}`);
      const [m, v] = tf.tidy(() => [this.m.get(key)!.mul(beta1).add(g.mul(1 - beta1)), this.v.get(key)!.mul(beta2).add(g.square().mul(1 - beta2))]);
      tf.dispose([this.m.get(key)!, this.v.get(key)!]);
      this.m.set(key, tf.keep(m!));
      this.v.set(key, tf.keep(v!));
      tf.tidy(() => {
        const decayed = variable.mul(1 - lr * weightDecay);
        const denom = v!.sqrt().div(bc2Sqrt).add(eps);
        variable.assign(decayed.sub(m!.div(denom).mul(stepSize)));
      });
    }
  }

  state(): AdamWState {
    return { step: this.t, m: this.m, v: this.v };
  }

  /** Restores moments saved by a checkpoint (values by key, in the parameters' shapes). */
  load(step: number, m: ReadonlyMap<string, Float32Array>, v: ReadonlyMap<string, Float32Array>): void {
    for (const { key, variable } of this.params) {
      const mv = m.get(key);
      const vv = v.get(key);
      if (!mv || !vv) throw new Error(`the checkpoint has no optimizer state for ${key}`);
      tf.dispose([this.m.get(key)!, this.v.get(key)!]);
      this.m.set(key, tf.keep(tf.tensor(mv, variable.shape)));
      this.v.set(key, tf.keep(tf.tensor(vv, variable.shape)));
    }
    this.t = step;
  }

  dispose(): void {
    tf.dispose([...this.m.values(), ...this.v.values()]);
  }
}
