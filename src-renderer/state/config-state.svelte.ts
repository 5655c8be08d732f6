/**
 * The LoRA and training parameters as the forms hold them, checked on every change (config-check.ts) against
 * the schema and the chosen model and data, presets fitted to those, and turned into the config for run:start
 * or the YAML file `tuneboard train` reads.
 */
import { stringify as stringifyYaml } from 'yaml';
import type { PlanChanges } from '../../src-main/protocol/run-plan';
import { checkConfigKeys, parseConfigText, trainConfigSchema } from '../../src-main/protocol/train-config';
import { lastPathPart } from '../display-format';
import { checkConfig } from './config-check';
import { NUMBER_KEYS, OPTIONAL_KEYS, type FieldProblem, type NumberKey } from './config-fields';
import { formParameters, ordered } from './config-parameters';
import { withChanges } from './plan-changes';
import { fitPreset, UNKNOWN_FIT, type PresetFit } from './preset-fitting';
import { copyOf, PRESETS, type FormValues, type PresetName } from './training-presets';

/** Model and dataset as chosen on their tabs: the rest of a config. */
export interface DataChoice {
  readonly model: string;
  readonly dataset: string;
  readonly datasetDir: string | null;
}

/** What a loaded YAML said about the model and data, for their tabs to pick up. */
export interface LoadedYaml {
  readonly choice: Partial<DataChoice>;
  readonly ignored: readonly string[];
}

const FORM_KEYS = new Set<string>([...NUMBER_KEYS, 'lora_target', 'use_rslora', 'lr_scheduler_type', 'model_name_or_path', 'dataset', 'dataset_dir', 'output_dir', 'stage', 'finetuning_type', 'quantization_bit', 'gradient_checkpointing']);
const PLACEHOLDER = 'x';
const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export class ConfigState {
  values = $state<FormValues>(copyOf(PRESETS.quick));
  /** Keys of a loaded YAML that no form shows (max_samples, shuffle, adam_beta1...): kept and passed on. */
  extras = $state.raw<Record<string, unknown>>({});
  /** output_dir of a loaded YAML; otherwise the saved YAML gets one under runs/. */
  outputDir = $state<string | null>(null);
  yamlError = $state<string | null>(null);
  yamlNotice = $state<string | null>(null);
  /** What the chosen model and dataset allow, when known: checks the fields against them, fits the presets to them. */
  fit = $state.raw<PresetFit>(UNKNOWN_FIT);

  /** Every invalid field, keyed by its config name; empty when the config can be started. */
  readonly problems: ReadonlyMap<string, FieldProblem> = $derived(checkConfig(this.values, this.extras, this.fit));
  readonly valid = $derived(this.problems.size === 0);
  readonly preset: PresetName | null = $derived(this.presetOf(this.fit));
  readonly cutoffLen = $derived(positiveInteger(this.values.numbers.cutoff_len));

  applyPreset(name: PresetName): void {
    this.values = this.withMemoryChoices(fitPreset(name, this.fit));
  }

  /** A fix of the forecast: its new values go into the forms. */
  applyChanges(changes: PlanChanges): void {
    this.values = withChanges(this.values, changes);
  }

  /** New model or data: a preset in use is fitted again to them; values the user changed stay as they are. */
  setFit(fit: PresetFit): void {
    if (fit.examples === this.fit.examples && fit.contextLength === this.fit.contextLength) return;
    const preset = this.presetOf(this.fit);
    this.fit = fit;
    if (preset) this.values = this.withMemoryChoices(fitPreset(preset, fit));
  }

  /** The parameters as config keys (no model or data), in the schema's order. */
  parameters(): Record<string, unknown> {
    return formParameters(this.values, this.extras);
  }

  /** The config for run:start: output_dir is left to the host. */
  runConfig(choice: DataChoice): Record<string, unknown> {
    return ordered({ ...dataKeys(choice), ...this.parameters() });
  }

  /** The YAML `tuneboard train CONFIG.yaml` (and LLaMA-Factory) reads. */
  toYaml(choice: DataChoice): string {
    const outputDir = this.outputDir ?? `runs/${lastPathPart(choice.model) || 'model'}-lora`;
    return stringifyYaml(ordered({ ...dataKeys(choice), output_dir: outputDir, ...this.parameters() }), { lineWidth: 0 });
  }

  /** Fills the forms from a YAML config; throws with a message for the user when it cannot be used. */
  loadYaml(text: string): LoadedYaml {
    const parsed = parseConfigText(text);
    if ('error' in parsed) throw new Error(parsed.error);
    const { ignored, unknown } = checkConfigKeys(parsed.config);
    if (unknown.length) throw new Error(unknown.join('; '));
    const entries = Object.entries(parsed.config).filter(([, value]) => value !== null);
    const config = Object.fromEntries(entries.filter(([k]) => !ignored.includes(k)));
    const values = copyOf(PRESETS.balanced);
    for (const key of NUMBER_KEYS) values.numbers[key] = key in config ? String(config[key]) : OPTIONAL_KEYS.has(key) ? '' : schemaDefault(key);
    const steps = Number(config['max_steps'] ?? -1);
    values.duration = steps > 0 ? 'steps' : 'epochs';
    if (!(steps > 0)) values.numbers.max_steps = PRESETS.balanced.numbers.max_steps;
    const target = config['lora_target'] ?? 'all';
    const names = (Array.isArray(target) ? target.map(String) : String(target).split(',')).map((s) => s.trim()).filter(Boolean);
    values.lora_target = names.includes('all') || names.includes('all-linear') ? 'all' : names;
    values.use_rslora = config['use_rslora'] === true;
    values.lr_scheduler_type = (config['lr_scheduler_type'] as FormValues['lr_scheduler_type'] | undefined) ?? 'linear';
    values.quantization_bit = quantizationBitOf(config['quantization_bit']);
    values.gradient_checkpointing = config['gradient_checkpointing'] === true;
    this.values = values;
    this.extras = Object.fromEntries(Object.entries(config).filter(([k]) => !FORM_KEYS.has(k)));
    this.outputDir = typeof config['output_dir'] === 'string' ? config['output_dir'] : null;
    const textOf = (key: string) => (typeof config[key] === 'string' ? (config[key] as string) : undefined);
    const choice: Partial<DataChoice> = {
      ...(textOf('model_name_or_path') !== undefined ? { model: textOf('model_name_or_path') } : {}),
      ...(textOf('dataset') !== undefined ? { dataset: textOf('dataset'), datasetDir: textOf('dataset_dir') ?? null } : {}),
    };
    return { choice, ignored };
  }

  /** What the board remembers between launches. */
  snapshot(): { values: FormValues; extras: Record<string, unknown>; outputDir: string | null } {
    return { values: $state.snapshot(this.values) as FormValues, extras: this.extras, outputDir: this.outputDir };
  }

  restore(saved: { values?: FormValues; extras?: Record<string, unknown>; outputDir?: string | null }): void {
    if (saved.values?.numbers) this.values = { ...copyOf(PRESETS.quick), ...saved.values, numbers: { ...PRESETS.quick.numbers, ...saved.values.numbers } };
    this.extras = saved.extras ?? {};
    this.outputDir = saved.outputDir ?? null;
  }

  private presetOf(fit: PresetFit): PresetName | null {
    const current = JSON.stringify(this.values);
    return PRESET_NAMES.find((name) => JSON.stringify(this.withMemoryChoices(fitPreset(name, fit))) === current) ?? null;
  }

  /** A preset is about training, not the device: precision and gradient checkpointing stay as chosen. */
  private withMemoryChoices(values: FormValues): FormValues {
    return { ...values, quantization_bit: this.values.quantization_bit, gradient_checkpointing: this.values.gradient_checkpointing };
  }
}

function dataKeys(choice: DataChoice): Record<string, unknown> {
  return { model_name_or_path: choice.model, dataset: choice.dataset, ...(choice.datasetDir ? { dataset_dir: choice.datasetDir } : {}) };
}

function schemaDefault(key: NumberKey): string {
  const parsed = trainConfigSchema.safeParse({ model_name_or_path: PLACEHOLDER, dataset: PLACEHOLDER, output_dir: PLACEHOLDER });
  return parsed.success ? String(parsed.data[key] ?? '') : '';
}

/** A loaded YAML's quantization_bit, refused with the schema's words unless absent or 4. */
function quantizationBitOf(value: unknown): 4 | null {
  const parsed = trainConfigSchema.shape.quantization_bit.safeParse(value);
  if (!parsed.success) throw new Error(`quantization_bit: ${parsed.error.issues[0]?.message ?? 'must be 4'}`);
  return parsed.data === 4 ? 4 : null;
}

function positiveInteger(text: string): number | null {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : null;
}

