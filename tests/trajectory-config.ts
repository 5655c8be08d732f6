import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { fixturePath, readJson, type Case } from './fixtures';

/** A config reproducing the fixture trajectory: its training_args, from adapter_init, one metrics line per step. */
export function trajectoryConfig(c: Case, outputDir: string, extra: Record<string, unknown> = {}): string {
  const { training_args: a } = readJson(c, 'trajectory.json');
  const path = join(mkdtempSync(join(tmpdir(), 'tb-traj-')), 'train.yaml');
  const config = {
    model_name_or_path: fixturePath(c, 'model'),
    adapter_name_or_path: fixturePath(c, 'adapter_init'),
    dataset: fixturePath('dataset_alpaca.json'),
    output_dir: outputDir,
    ...a,
    logging_steps: 1,
    save_steps: 6,
    // The reference kept the examples the cutoff leaves no answer in (2 of tiny-llama's, 3 of tiny-qwen2's).
    drop_untrained_examples: false,
    ...extra,
  };
  writeFileSync(path, stringify(config));
  return path;
}
