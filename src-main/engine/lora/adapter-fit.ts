import { UserError } from '../errors';
import { peftKey, type AdapterTensor } from './adapter-files';
import type { LoraConfig } from './lora-config';

/** A targeted linear layer of the base model, by module name (`model.layers.0.self_attn.q_proj`). */
export interface TargetLayer {
  readonly module: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

/** Whether an adapter config targets a module (its last name part, `q_proj`, is the target name). */
export function isTarget(config: LoraConfig, module: string): boolean {
  return config.targetModules.includes(module.split('.').pop()!);
}

/** Refuses an adapter made for another base model, naming the first tensor that does not fit. */
export function checkAdapterFits(targets: readonly TargetLayer[], config: LoraConfig, tensors: ReadonlyMap<string, AdapterTensor>): void {
  const expected = new Map<string, number[]>();
  for (const t of targets) {
    expected.set(peftKey(t.module, 'lora_A'), [config.r, t.inFeatures]);
    expected.set(peftKey(t.module, 'lora_B'), [t.outFeatures, config.r]);
  }
  for (const [key, t] of tensors) {
    const shape = expected.get(key);
    if (!shape) throw new UserError(`the adapter has a tensor ${key}, which this model has no layer for`, 'The adapter was trained for a different base model (or different target modules).');
    if (shape.join(',') !== t.shape.join(',')) {
      throw new UserError(`the adapter tensor ${key} has shape [${t.shape.join(', ')}] but this model needs [${shape.join(', ')}]`, 'The adapter was trained for a different base model.');
    }
  }
  const missing = [...expected.keys()].find((k) => !tensors.has(k));
  if (missing) throw new UserError(`the adapter has no tensor ${missing}, which its adapter_config.json targets`, 'The adapter files are incomplete or do not belong together.');
}
