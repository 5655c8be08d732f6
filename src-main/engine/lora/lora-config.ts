/**
 * A LoRA adapter's configuration, with PEFT's meaning of every field, read from and written to
 * PEFT's `adapter_config.json` so adapters move both ways between TuneBoard and PEFT / LLaMA-Factory.
 */
import { z } from 'zod';
import { UserError, validationError } from '../errors';

export interface LoraConfig {
  readonly r: number;
  readonly alpha: number;
  readonly dropout: number;
  /** Module names (q_proj, ...) that get an adapter. */
  readonly targetModules: readonly string[];
  /** Scale alpha / sqrt(r) instead of alpha / r. */
  readonly useRslora: boolean;
  readonly baseModel: string | null;
}

export function loraScale(c: Pick<LoraConfig, 'r' | 'alpha' | 'useRslora'>): number {
  return c.useRslora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r;
}

/**
 * `lora_target` as LLaMA-Factory takes it: `all` (every linear projection) or a comma list of module names,
 * each checked against the model's own linear layers.
 */
export function resolveTargets(spec: string | readonly string[], available: readonly string[], source = 'lora_target'): string[] {
  const names = (typeof spec === 'string' ? spec.split(',') : spec).map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UserError(`${source} is empty`, `Use all, or a comma list of: ${available.join(', ')}.`);
  if (names.some((n) => n === 'all' || n === 'all-linear')) return [...available];
  const unknown = names.filter((n) => !available.includes(n));
  if (unknown.length) {
    throw new UserError(`${source}: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a linear layer' : 'are not linear layers'} of this model`, `Use all, or a comma list of: ${available.join(', ')}.`);
  }
  return available.filter((n) => names.includes(n));
}

const peftConfig = z.object({
  peft_type: z.literal('LORA', { message: 'only LoRA adapters are supported (peft_type must be "LORA")' }).default('LORA'),
  r: z.number().int().positive(),
  lora_alpha: z.number().positive(),
  lora_dropout: z.number().min(0).lt(1).default(0),
  target_modules: z.union([z.array(z.string()), z.string()]),
  use_rslora: z.boolean().default(false),
  use_dora: z.boolean().nullish(),
  bias: z.string().default('none'),
  modules_to_save: z.array(z.string()).nullish(),
  rank_pattern: z.record(z.string(), z.unknown()).nullish(),
  alpha_pattern: z.record(z.string(), z.unknown()).nullish(),
  layers_to_transform: z.unknown().nullish(),
  base_model_name_or_path: z.string().nullish(),
});

/** Parses adapter_config.json; features PEFT has but TuneBoard does not apply are refused, never silently dropped. */
export function parsePeftConfig(json: unknown, available: readonly string[], source: string): LoraConfig {
  const parsed = peftConfig.safeParse(json);
  if (!parsed.success) throw validationError(source, parsed.error.issues);
  const c = parsed.data;
  const unsupported = [
    c.use_dora && 'use_dora (DoRA)',
    c.bias !== 'none' && `bias: ${c.bias}`,
    c.modules_to_save?.length && `modules_to_save (${c.modules_to_save.join(', ')})`,
    Object.keys(c.rank_pattern ?? {}).length && 'rank_pattern',
    Object.keys(c.alpha_pattern ?? {}).length && 'alpha_pattern',
    c.layers_to_transform != null && 'layers_to_transform',
  ].filter(Boolean);
  if (unsupported.length) throw new UserError(`${source}: this adapter uses ${unsupported.join(', ')}, which TuneBoard does not support`, 'Train the adapter with plain LoRA settings.');
  return {
    r: c.r,
    alpha: c.lora_alpha,
    dropout: c.lora_dropout,
    targetModules: peftTargets(c.target_modules, available, source),
    useRslora: c.use_rslora,
    baseModel: c.base_model_name_or_path ?? null,
  };
}

/** PEFT's target_modules: a list matched against the last part of each module name, or a regex matched against whole names. */
function peftTargets(spec: string | string[], available: readonly string[], source: string): string[] {
  if (Array.isArray(spec)) return resolveTargets(spec.map((s) => s.split('.').pop()!), available, `${source}: target_modules`);
  if (spec === 'all-linear') return [...available];
  const re = new RegExp(`^(?:${spec})$`);
  const matched = available.filter((n) => re.test(`model.layers.0.self_attn.${n}`) || re.test(`model.layers.0.mlp.${n}`) || re.test(n));
  if (!matched.length) throw new UserError(`${source}: target_modules "${spec}" matches no linear layer of this model`);
  return matched;
}

/** adapter_config.json as PEFT writes it, so PEFT's `PeftModel.from_pretrained` loads it unchanged. */
export function toPeftConfig(c: LoraConfig): Record<string, unknown> {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: c.baseModel,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: c.alpha,
    lora_dropout: c.dropout,
    modules_to_save: null,
    peft_type: 'LORA',
    r: c.r,
    rank_pattern: {},
    revision: null,
    target_modules: [...c.targetModules],
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: c.useRslora,
  };
}
