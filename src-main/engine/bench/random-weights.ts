import type { ModelConfig } from '../formats/model-config';
import type { WeightSource } from '../model/load-model';
import { modelLayout, type ParameterSpec } from '../model/model-layout';
import { deriveSeed, seededRandom } from '../seeded-random';

/**
 * Random weights of a config's shapes (bell-shaped, std 0.02; norms at 1), generated on demand tensor by
 * tensor: benchmarks and memory measurements on real shapes without downloading a checkpoint.
 */
export class RandomWeights implements WeightSource {
  readonly dir = '(random weights)';
  private readonly specs: Map<string, ParameterSpec>;

  constructor(
    config: ModelConfig,
    private readonly seed: number,
  ) {
    this.specs = new Map(modelLayout(config).parameters.map((s) => [s.name, s]));
  }

  names(): string[] {
    return [...this.specs.keys()];
  }

  has(name: string): boolean {
    return this.specs.has(name);
  }

  info(name: string): ParameterSpec {
    return this.specs.get(name)!;
  }

  async read(name: string): Promise<Float32Array> {
    const count = this.info(name).shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(count);
    if (name.endsWith('norm.weight')) return values.fill(1);
    const random = seededRandom(deriveSeed(this.seed, this.names().indexOf(name)));
    // The sum of three uniforms is cheap and close to normal.
    for (let i = 0; i < count; i++) values[i] = (random() + random() + random() - 1.5) * 0.04;
    return values;
  }
}
