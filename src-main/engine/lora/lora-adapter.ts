/**
 * Wraps a model's target linear layers in LoraLinear (PEFT's "inject adapter") and owns the LoRA
 * weights: initialisation, the trainable variables, saving in PEFT's key order, and removal.
 */
import * as tf from '../backend/tf';
import type { CausalLM } from '../model/causal-lm';
import { LINEAR_LAYERS } from '../model/model-layout';
import { Linear, type LinearLayer } from '../model/linear';
import { deriveSeed, seededRandom } from '../seeded-random';
import { peftKey, readAdapter, type AdapterTensor } from './adapter-files';
import { checkAdapterFits, isTarget } from './adapter-fit';
import { loraScale, type LoraConfig } from './lora-config';
import { LoraLinear } from './lora-linear';

/** Where LoRA weights come from: PEFT's default initialisation (A Kaiming-uniform, B zero), or a saved adapter. */
export type LoraInit = { readonly kind: 'peft-default'; readonly seed: number } | { readonly kind: 'weights'; readonly tensors: ReadonlyMap<string, AdapterTensor> };

export interface LoraParameter {
  /** The PEFT key the weight is saved under. */
  readonly key: string;
  readonly variable: tf.Variable;
}

export class LoraAdapter {
  /** Seeds dropout masks while training; null while evaluating or generating (dropout off). */
  private dropoutSeed: number | null = null;

  private constructor(
    readonly config: LoraConfig,
    private readonly wrapped: ReadonlyArray<{ name: string; layer: LoraLinear; restore: () => void }>,
  ) {}

  static attach(model: CausalLM, config: LoraConfig, init: LoraInit): LoraAdapter {
    const slots = model.linearSlots().filter((s) => isTarget(config, s.name));
    const layers = slots.map((s) => ({ module: s.name, inFeatures: s.layer.inFeatures, outFeatures: s.layer.outFeatures }));
    if (init.kind === 'weights') checkAdapterFits(layers, config, init.tensors);
    const scale = loraScale(config);
    const wrapped: Array<{ name: string; layer: LoraLinear; restore: () => void }> = [];
    let adapter: LoraAdapter | null = null;
    // Each layer's mask depends only on the seed and the layer, so a recomputed forward pass (gradient checkpointing) draws the same one.
    const dropoutFor = (i: number) => (x: tf.Tensor) =>
      adapter?.dropoutSeed != null && config.dropout > 0 ? tf.dropout(x, config.dropout, undefined, deriveSeed(adapter.dropoutSeed, i)) : x;
    slots.forEach((slot, i) => {
      // LoRA wraps the model's own frozen layers; one adapter at a time.
      if (!(slot.layer instanceof Linear)) throw new Error(`${slot.name} already has a LoRA adapter: detach it before attaching another`);
      const { a, b } = initialWeights(slot.name, slot.layer, config.r, init, i);
      const layer = new LoraLinear(slot.layer, tf.variable(a, true, peftKey(slot.name, 'lora_A')), tf.variable(b, true, peftKey(slot.name, 'lora_B')), scale, dropoutFor(i));
      tf.dispose([a, b]);
      const base = slot.layer;
      slot.replace(layer);
      wrapped.push({ name: slot.name, layer, restore: () => slot.replace(base) });
    });
    adapter = new LoraAdapter(config, wrapped);
    return adapter;
  }

  /** Attaches a saved PEFT adapter folder (TuneBoard's, PEFT's or LLaMA-Factory's). */
  static async load(model: CausalLM, dir: string): Promise<LoraAdapter> {
    const { config, tensors } = await readAdapter(dir, LINEAR_LAYERS);
    return LoraAdapter.attach(model, config, { kind: 'weights', tensors });
  }

  /** Trainable weights in PEFT's saved order: per module, lora_A then lora_B. */
  parameters(): LoraParameter[] {
    return this.wrapped.flatMap(({ name, layer }) => [
      { key: peftKey(name, 'lora_A'), variable: layer.loraA },
      { key: peftKey(name, 'lora_B'), variable: layer.loraB },
    ]);
  }

  trainableParameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.variable.size, 0);
  }

  /** Turns LoRA dropout on with masks drawn from `seed` (deterministic, so a resumed run draws the same ones), or off with null. */
  setTraining(seed: number | null): void {
    this.dropoutSeed = seed;
  }

  async tensors(): Promise<Array<{ key: string } & AdapterTensor>> {
    return Promise.all(this.parameters().map(async (p) => ({ key: p.key, shape: p.variable.shape, values: (await p.variable.data()) as Float32Array })));
  }

  /** Removes the adapter: the model's original layers are put back and the LoRA weights freed. */
  detach(): void {
    for (const w of this.wrapped) {
      w.restore();
      tf.dispose([w.layer.loraA, w.layer.loraB]);
    }
  }
}

function initialWeights(name: string, base: LinearLayer, r: number, init: LoraInit, index: number): { a: tf.Tensor2D; b: tf.Tensor2D } {
  if (init.kind === 'weights') {
    const a = init.tensors.get(peftKey(name, 'lora_A'))!;
    const b = init.tensors.get(peftKey(name, 'lora_B'))!;
    return { a: tf.tensor2d(a.values, [r, base.inFeatures]), b: tf.tensor2d(b.values, [base.outFeatures, r]) };
  }
  // PEFT: kaiming_uniform_(A, a=sqrt(5)) is uniform in ±1/sqrt(in_features); B starts at zero so the adapter starts as a no-op.
  const random = seededRandom(deriveSeed(init.seed, index));
  const bound = 1 / Math.sqrt(base.inFeatures);
  const a = Float32Array.from({ length: r * base.inFeatures }, () => (random() * 2 - 1) * bound);
  return { a: tf.tensor2d(a, [r, base.inFeatures]), b: tf.zeros([base.outFeatures, r]) };
}
