/**
 * The training configuration: YAML with LLaMA-Factory's key names, so a job moves between TuneBoard and
 * LLaMA-Factory unchanged. Keys TuneBoard does not set keep transformers' / LLaMA-Factory's defaults, so an
 * omitted key means the same thing in both tools. Shared by the CLI, the engine and the board's forms.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export const SCHEDULER_TYPES = ['linear', 'cosine', 'constant', 'constant_with_warmup'] as const;

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

export const trainConfigSchema = z
  .object({
    model_name_or_path: z.string().min(1, 'is required: the folder of a Hugging Face model'),
    adapter_name_or_path: z.string().min(1).nullish(),
    dataset: z.string().min(1, 'is required: a dataset file, or a key of dataset_info.json'),
    dataset_dir: z.string().min(1).nullish(),
    output_dir: z.string().min(1, 'is required: the folder the run is written to'),
    stage: z.literal('sft', { message: 'only sft (supervised fine-tuning) is supported' }).default('sft'),
    finetuning_type: z.literal('lora', { message: 'only lora is supported' }).default('lora'),

    lora_rank: positiveInt.max(1024).default(8),
    /** LLaMA-Factory's default is twice the rank. */
    lora_alpha: z.number().positive().nullish(),
    lora_dropout: z.number().min(0).lt(1).default(0),
    lora_target: z.union([z.string(), z.array(z.string())]).default('all'),
    use_rslora: z.boolean().default(false),

    /** LLaMA-Factory's QLoRA keys: 4 quantizes the base model's projections to NF4 as it loads (bitsandbytes' algorithm). */
    quantization_bit: z
      .number()
      .int()
      .refine((b) => b === 4, { message: "must be 4 (NF4, QLoRA); other widths are not supported: leave it out to train on the model's own 16-bit weights" })
      .nullish(),
    quantization_method: z.enum(['bnb', 'bitsandbytes'], { message: "only bnb (bitsandbytes' NF4) is supported" }).default('bnb'),
    quantization_type: z.enum(['nf4'], { message: 'only nf4 is supported (not fp4): nf4 is the QLoRA default' }).default('nf4'),
    /** Quantize the block scales too (0.37 bits a weight saved), as QLoRA does. */
    double_quantization: z.boolean().default(true),

    cutoff_len: positiveInt.default(2048),
    /**
     * TuneBoard's own: examples with no answer token left within cutoff_len are dropped (they cost time and teach
     * nothing). false keeps them, as transformers' Trainer does, to reproduce its runs step for step.
     */
    drop_untrained_examples: z.boolean().default(true),
    max_samples: positiveInt.nullish(),
    val_size: z.number().nonnegative().default(0),
    shuffle: z.boolean().default(true),

    per_device_train_batch_size: positiveInt.default(8),
    per_device_eval_batch_size: positiveInt.nullish(),
    gradient_accumulation_steps: positiveInt.default(1),
    learning_rate: z.number().positive().max(1, 'must be at most 1 (typical LoRA values are 1e-5 to 1e-3)').default(5e-5),
    num_train_epochs: z.number().positive().default(3),
    /** > 0 overrides num_train_epochs, as in transformers. */
    max_steps: z.number().int().default(-1),
    lr_scheduler_type: z.enum(SCHEDULER_TYPES).default('linear'),
    warmup_steps: nonNegativeInt.default(0),
    warmup_ratio: z.number().min(0).max(1).default(0),
    weight_decay: z.number().min(0).default(0),
    max_grad_norm: z.number().min(0).default(1),
    adam_beta1: z.number().min(0).lt(1).default(0.9),
    adam_beta2: z.number().min(0).lt(1).default(0.999),
    adam_epsilon: z.number().positive().default(1e-8),
    seed: nonNegativeInt.default(42),

    logging_steps: positiveInt.default(500),
    eval_steps: positiveInt.nullish(),
    save_steps: positiveInt.default(500),
    save_total_limit: positiveInt.nullish(),
    resume_from_checkpoint: z.union([z.boolean(), z.string().min(1)]).nullish(),
    overwrite_output_dir: z.boolean().default(false),
    gradient_checkpointing: z.boolean().default(false),
  })
  .strict();

/** A config as written in YAML (defaults not yet applied). */
export type TrainConfigInput = z.input<typeof trainConfigSchema>;
/** A validated config with every default filled in. */
export type TrainConfig = z.output<typeof trainConfigSchema>;

/**
 * Keys of LLaMA-Factory / transformers configs that make no difference here (logging integrations, multi-GPU,
 * caching, the template name: TuneBoard always uses the model's own chat template). They are accepted and
 * reported as ignored, so a LLaMA-Factory YAML runs as is.
 */
export const IGNORED_KEYS = [
  'do_train',
  'do_eval',
  'template',
  'trust_remote_code',
  'overwrite_cache',
  'preprocessing_num_workers',
  'dataloader_num_workers',
  'report_to',
  'run_name',
  'plot_loss',
  'ddp_timeout',
  'bf16',
  'fp16',
  'pure_bf16',
  'flash_attn',
  'eval_strategy',
  'evaluation_strategy',
  'save_strategy',
  'logging_dir',
  'logging_first_step',
  'deepspeed',
  'packing',
  'save_only_model',
  'optim',
] as const;

/** A config's text as a mapping of keys to values, or why it is not one. */
export function parseConfigText(text: string): { readonly config: Record<string, unknown> } | { readonly error: string } {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    return { error: `not valid YAML: ${(err as Error).message.split('\n')[0]}` };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { error: 'a config must be a YAML mapping of keys to values' };
  return { config: raw as Record<string, unknown> };
}

/**
 * The keys of a config that are ignored (IGNORED_KEYS) and those that are unknown, each unknown one in words with
 * the closest known key (`lora_rnak: unknown key (did you mean lora_rank?)`). Null values count as absent.
 */
export function checkConfigKeys(raw: Readonly<Record<string, unknown>>): { readonly ignored: string[]; readonly unknown: string[] } {
  const keys = Object.keys(raw).filter((k) => raw[k] !== null);
  const ignored = keys.filter((k) => (IGNORED_KEYS as readonly string[]).includes(k));
  const known = Object.keys(trainConfigSchema.shape);
  const unknown = keys.filter((k) => !ignored.includes(k) && !known.includes(k)).map((k) => `${k}: unknown key${suggestion(k, known)}`);
  return { ignored, unknown };
}

function suggestion(key: string, known: readonly string[]): string {
  const best = known.map((k) => ({ k, d: editDistance(key, k) })).sort((a, b) => a.d - b.d)[0];
  return best && best.d <= Math.max(2, key.length / 4) ? ` (did you mean ${best.k}?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
