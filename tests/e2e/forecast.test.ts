/**
 * "Will it fit?" on the board, against `tuneboard serve` and the real engine: the demo config on wasm fits the
 * wasm heap; said to have 20 MB, it will not, with the fixes listed; applying one writes it into the forms and the
 * forecast follows; Start stays on whatever the verdict. A run that ran out of memory offers the settings that fit.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { outOfMemorySentence } from '../../src-main/engine/forecast/out-of-memory-text';
import { planConfig } from '../../src-main/engine/jobs/plan-job';
import { formatBytes } from '../../src-main/protocol/quantities';
import type { OutOfMemory } from '../../src-main/protocol/run-plan';
import { trainConfigSchema } from '../../src-main/protocol/train-config';
import { ROOT } from '../cli/run-cli';
import { fixturePath } from '../fixtures';
import { boardInBrowser } from './board-in-browser';
import { DEMO_MODEL, SAMPLE_DATASET, writeRun } from './written-runs';

const ARTIFACTS = resolve(ROOT, 'test-results');
const session = boardInBrowser();
const OOM_RUN = 'out-of-memory';

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await writeOutOfMemoryRun();
  const { page } = session.browser;
  await page.goto(session.board.url);
  await page.locator('[data-testid=ready-dataset].ok').waitFor({ timeout: 30_000 });
  await page.getByTestId('backend').selectOption('wasm');
  await page.getByTestId('tab-params').click();
});

const field = (name: string) => session.browser.page.getByTestId(`field-${name}`);
const totalBytes = async () => Number(await session.browser.page.getByTestId('forecast-total').getAttribute('data-bytes'));
const verdict = () => session.browser.page.getByTestId('forecast-verdict').getAttribute('data-verdict');

describe('will it fit?', () => {
  it('says the demo config will not fit in 20 MB, lists the fixes, and a fix applied shrinks the forecast', { timeout: 120_000 }, async () => {
    const { page } = session.browser;
    const device = page.getByTestId('device-memory');
    await page.locator('[data-testid=device-memory][data-source=wasm-heap]').waitFor({ timeout: 60_000 });
    // The wasm heap's 4 GiB, in the decimal units the board writes.
    expect(await device.textContent()).toContain(formatBytes(2 ** 32));
    expect(await verdict()).toBe('fits');

    await page.getByTestId('memory-change').click();
    await page.getByTestId('memory-input').fill('20 MB');
    await page.getByTestId('memory-use').click();
    await page.locator('[data-testid=device-memory][data-source=user]').waitFor({ timeout: 30_000 });
    await expect.poll(verdict, { timeout: 30_000 }).toBe('will-not-fit');
    const before = await totalBytes();
    expect(await page.getByTestId('forecast-total').textContent()).toBe(`${formatBytes(before)} of 20.0 MB`);
    const kinds = await page.getByTestId('plan-fix').evaluateAll((fixes) => fixes.map((f) => f.getAttribute('data-kind')));
    expect(kinds).toContain('smaller-batch');
    expect(kinds).toContain('gradient-checkpointing');
    await page.getByTestId('forecast').screenshot({ path: join(ARTIFACTS, 'forecast-will-not-fit.png') });

    // The forecast warns beside Start but never holds it back.
    await page.getByTestId('tab-train').click();
    expect(await page.getByTestId('ready-memory').getAttribute('data-verdict')).toBe('will-not-fit');
    expect(await page.getByTestId('ready-memory').textContent()).toContain(`${formatBytes(before)} of 20.0 MB · will not fit`);
    await page.getByTestId('start-memory-warning').waitFor();
    await page.getByTestId('readiness').screenshot({ path: join(ARTIFACTS, 'readiness-will-not-fit.png') });
    expect(await page.getByTestId('start').isEnabled()).toBe(true);

    await page.getByTestId('tab-params').click();
    const fix = page.locator('[data-testid=plan-fix][data-kind=smaller-batch]');
    const words = /^Batch (\d+) × accumulation (\d+) \(same effective batch 4\)$/.exec((await fix.getByTestId('fix-description').textContent())!.trim());
    expect(words).not.toBeNull();
    const promised = Number(await fix.getByTestId('fix-total').getAttribute('data-bytes'));
    expect(promised).toBeLessThan(before);
    await fix.getByTestId('fix-apply').click();
    expect(await field('per_device_train_batch_size').inputValue()).toBe(words![1]);
    expect(await field('gradient_accumulation_steps').inputValue()).toBe(words![2]);
    await expect.poll(totalBytes, { timeout: 30_000 }).toBe(promised);

    await page.getByTestId('tab-train').click();
    await expect.poll(() => page.getByTestId('ready-memory').textContent()).toContain(`${formatBytes(promised)} of 20.0 MB`);
    expect(await page.getByTestId('start').isEnabled()).toBe(true);
    expect(session.browser.pageErrors).toEqual([]);
  });

  it('remembers the figure for this device, and goes back to the detected one', { timeout: 60_000 }, async () => {
    const { page } = session.browser;
    await page.reload();
    await page.getByTestId('tab-params').click();
    await page.locator('[data-testid=device-memory][data-source=user]').waitFor({ timeout: 60_000 });
    await page.getByTestId('memory-detected').click();
    await page.locator('[data-testid=device-memory][data-source=wasm-heap]').waitFor({ timeout: 30_000 });
    await expect.poll(verdict, { timeout: 30_000 }).toBe('fits');
    expect(await page.getByTestId('plan-fixes').count()).toBe(0);
  });

  it('measures the speed, then says how long the run will take', { timeout: 120_000 }, async () => {
    const { page } = session.browser;
    const time = page.getByTestId('forecast-time');
    expect(await time.textContent()).toContain('40 steps; the speed on this device is not known yet.');
    await page.getByTestId('measure-speed').click();
    expect(await page.getByTestId('measure-speed').textContent()).toContain('Measuring…');
    await page.locator('[data-testid=forecast-time][data-source=probe]').waitFor({ timeout: 90_000 });
    expect(await time.textContent()).toMatch(/^\s*About \d+(\.5)? (seconds|minutes|hours|days)\s+40 steps · [\d,]+ tokens\/s \(measured by the speed probe\)\s*$/);
    expect(await page.getByTestId('measure-error').count()).toBe(0);
  });

  it('carries the base model precision into the YAML', async () => {
    const { page } = session.browser;
    await page.getByTestId('precision-4').check();
    await field('gradient_checkpointing').check();
    await page.getByTestId('yaml-show').click();
    await page.getByTestId('memory-form').screenshot({ path: join(ARTIFACTS, 'memory-form-4-bit.png') });
    const yaml = (await page.getByTestId('yaml-view').textContent())!;
    expect(yaml).toContain('quantization_bit: 4');
    expect(yaml).toContain('gradient_checkpointing: true');
    await page.getByTestId('precision-16').check();
    await field('gradient_checkpointing').uncheck();
    expect(await page.getByTestId('yaml-view').textContent()).not.toContain('quantization_bit');
  });

  it('offers a run that ran out of memory the settings that fit', async () => {
    const { page } = session.browser;
    await page.getByTestId('preset-quick').click();
    await page.getByTestId('tab-runs').click();
    await page.locator(`[data-testid=run-row][data-run="${OOM_RUN}"]`).getByRole('button', { name: 'Open' }).click();
    expect(await page.getByTestId('run-failed').textContent()).toContain('ran out of the wasm heap at step 1 while computing the backward pass');
    await page.getByTestId('run-detail').screenshot({ path: join(ARTIFACTS, 'run-out-of-memory.png') });
    const changes = await page.getByTestId('oom-changes').locator('li').allTextContents();
    expect(changes).toContain('Gradient checkpointing on');
    // No checkpoint to resume from: the settings go into the forms for a new run.
    await page.getByTestId('oom-apply').click();
    expect(await page.getByTestId('tab-params').getAttribute('aria-current')).toBe('page');
    expect(await field('gradient_checkpointing').isChecked()).toBe(true);
    expect(session.browser.pageErrors).toEqual([]);
  });

  it('shows a bitsandbytes 4-bit folder as such, its precision fixed at 4-bit', { timeout: 60_000 }, async () => {
    const { page } = session.browser;
    await page.getByTestId('tab-model').click();
    await page.getByTestId('model-input').fill(fixturePath('tiny-llama-nf4', 'bnb-4bit'));
    await page.getByTestId('model-input').press('Enter');
    await expect.poll(() => page.getByTestId('model-details').textContent(), { timeout: 30_000 }).toContain('bitsandbytes 4-bit NF4');
    await page.getByTestId('tab-params').click();
    expect(await page.getByTestId('precision-fixed').textContent()).toContain('bitsandbytes 4-bit NF4');
    expect(await page.getByTestId('precision-4').count()).toBe(0);

    await page.getByTestId('tab-model').click();
    await page.getByTestId('model-input').fill(DEMO_MODEL);
    await page.getByTestId('model-input').press('Enter');
    await page.getByTestId('model-details').waitFor({ timeout: 30_000 });
    await page.getByTestId('tab-params').click();
    await page.getByTestId('precision-4').waitFor();
    expect(session.browser.pageErrors).toEqual([]);
  });
});

/** A failed run as the engine records one that ran out of memory: its plan's resumable fixes at 20 MB, those that fit first. */
async function writeOutOfMemoryRun(): Promise<void> {
  const config = trainConfigSchema.parse({ model_name_or_path: DEMO_MODEL, dataset: SAMPLE_DATASET, output_dir: 'unused', per_device_train_batch_size: 4, cutoff_len: 128 });
  const plan = await planConfig({ config, backend: 'wasm', device: { bytes: 20e6, source: 'user' }, speed: null });
  const resumable = plan.fixes.filter((f) => f.resumable);
  const outOfMemory: OutOfMemory = {
    step: 1,
    phase: 'the backward pass',
    memory: 'the wasm heap',
    neededBytes: plan.memory.total,
    availableBytes: 20e6,
    fixes: [...resumable.filter((f) => f.verdict === 'fits'), ...resumable.filter((f) => f.verdict !== 'fits')],
    limited: false,
  };
  const dir = await writeRun(session.board.runsDir, OOM_RUN, {
    status: 'failed',
    startedAt: '2026-01-01T10:00:00.000Z',
    losses: [],
    error: outOfMemorySentence(outOfMemory),
    config: { per_device_train_batch_size: 4, cutoff_len: 128 },
  });
  const record = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ ...record, out_of_memory: outOfMemory }, null, 2));
}
