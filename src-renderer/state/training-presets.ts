/**
 * Starting points for the parameter forms, as written for an unknown dataset; preset-fitting.ts fits them to the
 * chosen model and data. "Quick test" finishes in a minute or two on a CPU with the embedded demo model and
 * shows every chart (losses, evaluations, a checkpoint); "Balanced" suits a real model and dataset on a GPU.
 */
import type { SCHEDULER_TYPES } from '../../src-main/protocol/train-config';
import type { NumberKey } from './config-fields';

export type SchedulerType = (typeof SCHEDULER_TYPES)[number];
export type PresetName = 'quick' | 'balanced';

export interface FormValues {
  numbers: Record<NumberKey, string>;
  /** 'all', or the module names to adapt. */
  lora_target: 'all' | string[];
  use_rslora: boolean;
  lr_scheduler_type: SchedulerType;
  /** Whether the run is measured in epochs (num_train_epochs) or optimizer steps (max_steps). */
  duration: 'epochs' | 'steps';
  /** The base model's precision: null keeps its own 16-bit weights, 4 quantizes them to NF4 (QLoRA). */
  quantization_bit: 4 | null;
  gradient_checkpointing: boolean;
}

export const PRESETS: Record<PresetName, FormValues> = {
  quick: {
    numbers: {
      lora_rank: '8',
      lora_alpha: '16',
      lora_dropout: '0.05',
      learning_rate: '2e-3',
      num_train_epochs: '3',
      max_steps: '40',
      per_device_train_batch_size: '4',
      gradient_accumulation_steps: '1',
      cutoff_len: '128',
      warmup_ratio: '0.05',
      warmup_steps: '0',
      weight_decay: '0.01',
      max_grad_norm: '1.0',
      val_size: '4',
      eval_steps: '10',
      save_steps: '20',
      logging_steps: '2',
      seed: '42',
    },
    lora_target: 'all',
    use_rslora: false,
    lr_scheduler_type: 'cosine',
    duration: 'steps',
    quantization_bit: null,
    gradient_checkpointing: false,
  },
  balanced: {
    numbers: {
      lora_rank: '16',
      lora_alpha: '32',
      lora_dropout: '0.05',
      learning_rate: '2e-4',
      num_train_epochs: '3',
      max_steps: '1000',
      per_device_train_batch_size: '4',
      gradient_accumulation_steps: '4',
      cutoff_len: '1024',
      warmup_ratio: '0.03',
      warmup_steps: '0',
      weight_decay: '0.01',
      max_grad_norm: '1.0',
      val_size: '0.1',
      eval_steps: '100',
      save_steps: '200',
      logging_steps: '10',
      seed: '42',
    },
    lora_target: 'all',
    use_rslora: false,
    lr_scheduler_type: 'cosine',
    duration: 'epochs',
    quantization_bit: null,
    gradient_checkpointing: false,
  },
};

export function copyOf(values: FormValues): FormValues {
  return { ...values, numbers: { ...values.numbers }, lora_target: values.lora_target === 'all' ? 'all' : [...values.lora_target] };
}
