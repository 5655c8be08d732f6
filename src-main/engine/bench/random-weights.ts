import { decode, encode, type StorageDtype } from '../formats/dtype';
import type { ModelConfig } from '../formats/model-config';
import type { WeightSource } from '../model/load-model';
import { modelLayout, type ParameterSpec } from '../model/model-layout';
import { deriveSeed, seededRandom } from '../seeded-random';

/**
 * Random weights of a config's shapes (bell-shaped, std 0.02; norms at 1) in the config's dtype (bf16 for most
 * shapes), generated on demand tensor by tensor: benchmarks and memory measurements on real shapes, in every
 * storage a checkpoint of that shape would load in, without downloading one.
 */
export class RandomWeights implements WeightSource {
  readonly dir = '(random weights)';
  private readonly specs: Map<string, ParameterSpec>;
  private readonly dtype: StorageDtype;

  constructor(
    config: ModelConfig,
    private readonly seed: number,
  ) {
    this.specs = new Map(modelLayout(config).parameters.map((s) => [s.name, s]));
    this.dtype = config.dtype;
  }

  names(): string[] {
    return [...this.specs.keys()];
  }

  has(name: string): boolean {
    return this.specs.has(name);
  }

  info(name: string): ParameterSpec & { readonly dtype: StorageDtype } {
    return { ...this.specs.get(name)!, dtype: this.dtype };
  }

  async read(name: string): Promise<Float32Array | Int32Array> {
    return decode(this.dtype, await this.readBytes(name));
  }

  async readBytes(name: string): Promise<Uint8Array> {
    const count = this.info(name).shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(count);
    if (name.endsWith('norm.weight')) return encode(this.dtype, values.fill(1));
    const random = seededRandom(deriveSeed(this.seed, this.names().indexOf(name)));
    // The sum of three uniforms is cheap and close to normal.
    for (let i = 0; i < count; i++) values[i] = (random() + random() + random() - 1.5) * 0.04;
    return encode(this.dtype, values);
  }
}
