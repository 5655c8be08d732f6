/**
 * The LoRA and training parameters as the forms hold them, checked on every change with train-config.ts's
 * zod schema (the one the host and `tuneboard train` use), and turned into the config for run:start or the
 * YAML file `tuneboard train` reads.
 */
import { stringify as stringifyYaml } from 'yaml';
import { checkConfigKeys, parseConfigText, trainConfigSchema } from '../../src-main/protocol/train-config';
import { lastPathPart } from '../display-format';
import { NUMBER_KEYS, OPTIONAL_KEYS, problemFromIssue, type FieldProblem, type NumberKey } from './config-fields';
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

const FORM_KEYS = new Set<string>([...NUMBER_KEYS, 'lora_target', 'use_rslora', 'lr_scheduler_type', 'model_name_or_path', 'dataset', 'dataset_dir', 'output_dir', 'stage', 'finetuning_type']);
const SCHEMA_KEYS = Object.keys(trainConfigSchema.shape);
const PLACEHOLDER = 'x';

export class ConfigState {
  values = $state<FormValues>(copyOf(PRESETS.quick));
  /** Keys of a loaded YAML that no form shows (max_samples, shuffle, adam_beta1...): kept and passed on. */
  extras = $state.raw<Record<string, unknown>>({});
  /** output_dir of a loaded YAML; otherwise the saved YAML gets one under runs/. */
  outputDir = $state<string | null>(null);
  yamlError = $state<string | null>(null);
  yamlNotice = $state<string | null>(null);
  /** Usable examples of the chosen dataset, when known: a validation count must leave some to train on. */
  usableRows = $state<number | null>(null);

  /** Every invalid field, keyed by its config name; empty when the config can be started. */
  readonly problems: ReadonlyMap<string, FieldProblem> = $derived(this.check());
  readonly valid = $derived(this.problems.size === 0);
  readonly preset: PresetName | null = $derived(
    (Object.keys(PRESETS) as PresetName[]).find((name) => JSON.stringify(PRESETS[name]) === JSON.stringify(this.values)) ?? null,
  );
  readonly cutoffLen = $derived(positiveInteger(this.values.numbers.cutoff_len));

  applyPreset(name: PresetName): void {
    this.values = copyOf(PRESETS[name]);
  }

  /** The parameters as config keys (no model or data), in the schema's order. */
  parameters(): Record<string, unknown> {
    const v = this.values;
    const out: Record<string, unknown> = { stage: 'sft', finetuning_type: 'lora' };
    for (const key of NUMBER_KEYS) {
      if (key === 'max_steps' && v.duration !== 'steps') continue;
      if (key === 'num_train_epochs' && v.duration !== 'epochs') continue;
      const text = v.numbers[key].trim();
      if (text !== '') out[key] = Number(text);
    }
    out['lora_target'] = v.lora_target === 'all' ? 'all' : v.lora_target.join(',');
    out['use_rslora'] = v.use_rslora;
    out['lr_scheduler_type'] = v.lr_scheduler_type;
    return ordered({ ...this.extras, ...out });
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

  private check(): Map<string, FieldProblem> {
    const problems = new Map<string, FieldProblem>();
    const v = this.values;
    for (const key of NUMBER_KEYS) {
      const text = v.numbers[key].trim();
      if (text === '' && !OPTIONAL_KEYS.has(key) && this.inUse(key)) problems.set(key, { code: 'required' });
      else if (text !== '' && !Number.isFinite(Number(text))) problems.set(key, { code: 'not-a-number' });
    }
    if (v.lora_target !== 'all' && v.lora_target.length === 0) problems.set('lora_target', { code: 'required' });
    const params = this.parameters();
    for (const key of problems.keys()) delete params[key];
    const parsed = trainConfigSchema.safeParse({ model_name_or_path: PLACEHOLDER, dataset: PLACEHOLDER, output_dir: PLACEHOLDER, ...params });
    for (const issue of parsed.success ? [] : parsed.error.issues) {
      const key = String(issue.path[0] ?? 'config');
      if (!problems.has(key)) problems.set(key, problemFromIssue(issue as Parameters<typeof problemFromIssue>[0]));
    }
    const maxSteps = Number(v.numbers.max_steps);
    if (v.duration === 'steps' && !problems.has('max_steps') && maxSteps < 1) problems.set('max_steps', { code: 'min', limit: 1 });
    const valSize = Number(v.numbers.val_size);
    if (!problems.has('val_size') && valSize >= 1 && !Number.isInteger(valSize)) problems.set('val_size', { code: 'val-size-count' });
    if (!problems.has('val_size') && this.usableRows !== null && valSize >= 1 && valSize >= this.usableRows) problems.set('val_size', { code: 'val-size-all', limit: this.usableRows });
    return problems;
  }

  private inUse(key: NumberKey): boolean {
    if (key === 'max_steps') return this.values.duration === 'steps';
    if (key === 'num_train_epochs') return this.values.duration === 'epochs';
    return true;
  }
}

function dataKeys(choice: DataChoice): Record<string, unknown> {
  return { model_name_or_path: choice.model, dataset: choice.dataset, ...(choice.datasetDir ? { dataset_dir: choice.datasetDir } : {}) };
}

/** Keys in train-config.ts's order, so the YAML reads like the schema. */
function ordered(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).sort(([a], [b]) => rank(a) - rank(b)));
}

function rank(key: string): number {
  const i = SCHEMA_KEYS.indexOf(key);
  return i < 0 ? SCHEMA_KEYS.length : i;
}

function schemaDefault(key: NumberKey): string {
  const parsed = trainConfigSchema.safeParse({ model_name_or_path: PLACEHOLDER, dataset: PLACEHOLDER, output_dir: PLACEHOLDER });
  return parsed.success ? String(parsed.data[key] ?? '') : '';
}

function positiveInteger(text: string): number | null {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : null;
}

