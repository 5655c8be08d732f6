/**
 * A base model's weights with a LoRA adapter merged in, tensor by tensor as they are read: `W' = W + scale · B A`
 * for each adapted linear layer, every other tensor as stored. What the safetensors and GGUF exports write, one
 * tensor in memory at a time. A bitsandbytes 4-bit base is merged into its dequantized weights (as LLaMA-Factory
 * does only with the original model, which is the better choice: the export says so).
 */
import * as tf from '../backend/tf';
import type { TensorDtype } from '../formats/dtype';
import { readModelConfig, type ModelConfig } from '../formats/model-config';
import { join } from 'node:path';
import { DequantizedWeights, quantizationOf } from '../formats/bnb-4bit';
import { ModelWeights } from '../formats/model-weights';
import { peftKey, readAdapter, type AdapterTensor } from '../lora/adapter-files';
import { checkAdapterFits, isTarget } from '../lora/adapter-fit';
import { loraScale } from '../lora/lora-config';
import { LINEAR_LAYERS, checkWeights, modelLayout, type ModelLayout } from '../model/model-layout';

/** What a merge reads its base tensors from: a model folder, or a 4-bit one seen as dense tensors. */
type BaseSource = Pick<ModelWeights, 'dir' | 'names' | 'has' | 'read' | 'readBytes' | 'close'> & { info(name: string): { readonly shape: readonly number[]; readonly dtype: TensorDtype } };

export class MergedWeights {
  private constructor(
    readonly config: ModelConfig,
    readonly layout: ModelLayout,
    readonly base: BaseSource,
    /** The base stored its projections in 4 bits: what is merged into is their dequantization. */
    readonly prequantized: boolean,
    /** Weight name → the module whose adapter is merged into it. */
    readonly merged: ReadonlyMap<string, string>,
    private readonly adapter: ReadonlyMap<string, AdapterTensor>,
    private readonly scale: number,
  ) {}

  /** Opens the base model and reads the adapter, refusing one that does not fit the model (naming the tensor). */
  static async open(model: string, adapterDir: string): Promise<MergedWeights> {
    const config = await readModelConfig(model);
    const prequantized = quantizationOf(config.raw, join(model, 'config.json')) !== null;
    const folder = await ModelWeights.open(model);
    const base: BaseSource = prequantized ? await DequantizedWeights.open(folder).catch(async (err) => (await folder.close(), Promise.reject(err))) : folder;
    try {
      const layout = modelLayout(config);
      checkWeights(layout, base);
      const { config: lora, tensors } = await readAdapter(adapterDir, LINEAR_LAYERS);
      const targets = layout.linears.filter((l) => isTarget(lora, l.module));
      checkAdapterFits(targets, lora, tensors);
      return new MergedWeights(config, layout, base, prequantized, new Map(targets.map((t) => [t.weight.name, t.module])), tensors, loraScale(lora));
    } catch (err) {
      await base.close();
      throw err;
    }
  }

  get dir(): string {
    return this.base.dir;
  }

  names(): string[] {
    return this.base.names();
  }

  has(name: string): boolean {
    return this.base.has(name);
  }

  info(name: string): { readonly shape: readonly number[]; readonly dtype: TensorDtype } {
    return this.base.info(name);
  }

  /** The tensor's values, merged when the adapter changes it (in float32, as PEFT computes the delta). */
  async read(name: string): Promise<Float32Array | Int32Array> {
    const values = await this.base.read(name);
    const module = this.merged.get(name);
    return module ? this.mergeInto(values as Float32Array, module) : values;
  }

  close(): Promise<void> {
    return this.base.close();
  }

  private async mergeInto(w: Float32Array, module: string): Promise<Float32Array> {
    const a = this.adapter.get(peftKey(module, 'lora_A'))!;
    const b = this.adapter.get(peftKey(module, 'lora_B'))!;
    const [out, r] = b.shape as [number, number];
    const inFeatures = a.shape[1]!;
    const merged = tf.tidy(() => tf.tensor2d(w, [out, inFeatures]).add(tf.matMul(tf.tensor2d(b.values, [out, r]), tf.tensor2d(a.values, [r, inFeatures])).mul(this.scale)));
    const values = (await merged.data()) as Float32Array;
    merged.dispose();
    return values;
  }
}
