/** What sets compared runs apart: the config keys whose values are not the same in all of them. */

export interface ConfigDifference {
  readonly key: string;
  /** Each run's value, in the order of the configs given; undefined where a run's config lacks the key. */
  readonly values: readonly unknown[];
}

/** Keys that always differ between runs and say nothing about how they were trained. */
const ALWAYS_DIFFERENT = new Set(['output_dir']);

export function configDifferences(configs: ReadonlyArray<Readonly<Record<string, unknown>>>): ConfigDifference[] {
  const keys = [...new Set(configs.flatMap((c) => Object.keys(c)))].filter((k) => !ALWAYS_DIFFERENT.has(k));
  return keys.flatMap((key) => {
    const values = configs.map((c) => c[key]);
    const same = values.every((v) => JSON.stringify(v) === JSON.stringify(values[0]));
    return same ? [] : [{ key, values }];
  });
}

/** A config value as a table cell. */
export function configValueText(value: unknown): string {
  if (value === undefined || value === null) return '–';
  if (Array.isArray(value)) return value.join(', ');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
