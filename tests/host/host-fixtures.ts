/** What the host tests share: the built engine bundle, the demo model and dataset, a short training config. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { forkEngineLauncher } from '../../src-main/runs/fork-engine';
import type { EngineHost, EngineLauncher } from '../../src-main/runs/engine-host';
import { DEMO_MODEL } from '../fixtures';

export { DEMO_MODEL };

export const ROOT = resolve(__dirname, '../..');
export const ENGINE_BUNDLE = join(ROOT, 'out/engine/tuneboard.mjs');
export const DEMO_DATASET = join(ROOT, 'resources/datasets/sample_alpaca.json');

export function requireBundle(): void {
  if (!existsSync(ENGINE_BUNDLE)) throw new Error('the engine bundle is missing: run `npm run build` (npm test does)');
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A short LoRA run on the demo model: 12 steps, a metric line and a checkpoint every 2 steps. */
export function shortConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_name_or_path: DEMO_MODEL,
    dataset: DEMO_DATASET,
    cutoff_len: 64,
    per_device_train_batch_size: 4,
    learning_rate: 2e-3,
    max_steps: 12,
    logging_steps: 1,
    save_steps: 2,
    val_size: 4,
    eval_steps: 6,
    seed: 42,
    ...overrides,
  };
}

/** child_process engine processes, remembering each one so a test can kill it from outside. */
export function recordingLauncher(): { launch: EngineLauncher; engines: EngineHost[] } {
  const fork = forkEngineLauncher(ENGINE_BUNDLE);
  const engines: EngineHost[] = [];
  return {
    engines,
    launch: () => {
      const engine = fork();
      engines.push(engine);
      return engine;
    },
  };
}
