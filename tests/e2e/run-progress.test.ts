/**
 * A live run on the Train tab, against the real engine: progress, elapsed time and ETA move every step (not
 * only at logged ones), elapsed time is the run's own across stop and resume, Stop pressed while the model
 * loads ends cleanly, and a run whose loss diverges says so as it happens, in the user's language, log included.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cli/run-cli';
import { boardInBrowser } from './board-in-browser';

const ARTIFACTS = resolve(ROOT, 'test-results');
const session = boardInBrowser();

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await session.browser.page.goto(session.board.url);
  await session.browser.page.locator('[data-testid=ready-dataset].ok').waitFor({ timeout: 30_000 });
});

const progress = async (what: 'step' | 'elapsed') => Number(await session.browser.page.getByTestId('run-progress').getAttribute(`data-${what}`));
const status = (value: string) => session.browser.page.locator(`[data-testid=current-run][data-status=${value}]`);

/** Quick test with some fields changed; then the Train tab, once Start is on. */
async function setFields(values: Record<string, string>, scheduler?: string): Promise<void> {
  const { page } = session.browser;
  await page.getByTestId('tab-params').click();
  await page.getByTestId('preset-quick').click();
  for (const [name, value] of Object.entries(values)) await page.getByTestId(`field-${name}`).fill(value);
  if (scheduler) await page.getByTestId('field-lr_scheduler_type').selectOption(scheduler);
  await page.getByTestId('tab-train').click();
  await expect.poll(() => page.getByTestId('start').isEnabled(), { timeout: 30_000 }).toBe(true);
}

describe('a live run', () => {
  it('moves progress every step, and counts elapsed time across stop and resume', { timeout: 240_000 }, async () => {
    const { page } = session.browser;
    // A point every 10 steps: the bar must still move at steps 1, 2, 3...
    await setFields({ logging_steps: '10' });
    await page.getByTestId('start').click();
    await status('running').waitFor({ timeout: 60_000 });
    await expect.poll(() => progress('step'), { timeout: 90_000, interval: 100 }).toSatisfy((step: number) => step > 0 && step % 10 !== 0);
    expect(await page.getByTestId('progress-eta').textContent()).toMatch(/^\d+:\d\d$/);

    await expect.poll(() => progress('step'), { timeout: 90_000, interval: 200 }).toBeGreaterThanOrEqual(12);
    await page.getByTestId('stop').click();
    await status('stopped').waitFor({ timeout: 60_000 });
    const stoppedAt = await progress('step');
    const elapsedAtStop = await progress('elapsed');
    expect(elapsedAtStop).toBeGreaterThan(1);

    await page.getByTestId('resume').click();
    await status('running').waitFor({ timeout: 60_000 });
    await expect.poll(() => progress('step'), { timeout: 90_000, interval: 100 }).toBeGreaterThan(stoppedAt);
    // The run's training time goes on from where it was, not from 0.
    expect(await progress('elapsed')).toBeGreaterThanOrEqual(elapsedAtStop);
    await page.screenshot({ path: join(ARTIFACTS, 'resumed-run-progress.png'), fullPage: true });
    await page.getByTestId('stop').click();
    await status('stopped').waitFor({ timeout: 60_000 });
    expect(session.browser.pageErrors).toEqual([]);
  });

  it('ends cleanly when Stop is pressed while the model loads', { timeout: 120_000 }, async () => {
    const { page } = session.browser;
    await setFields({});
    await page.getByTestId('start').click();
    await page.getByTestId('stop').click({ timeout: 60_000 });
    await status('stopped').waitFor({ timeout: 60_000 });
    const log = (await page.getByTestId('run-log').textContent())!;
    expect(log).toContain('stopped before the first step: there is nothing to resume; start the run again');
    expect(log).not.toContain('checkpoint');
    expect(log).not.toContain('eval loss');
    expect(await page.getByTestId('resume').count()).toBe(0);
    expect(await progress('step')).toBe(0);
    expect(await page.getByRole('progressbar').getAttribute('class')).not.toContain('indeterminate');
    expect(await page.getByTestId('start').isEnabled()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'stopped-while-loading.png'), fullPage: true });
    expect(session.browser.pageErrors).toEqual([]);
  });

  it('says as it happens that the loss diverges, in plain words and in the chosen language', { timeout: 180_000 }, async () => {
    const { page } = session.browser;
    await setFields({ learning_rate: '1', max_grad_norm: '0', max_steps: '8', warmup_ratio: '0', logging_steps: '1', eval_steps: '4', save_steps: '4' }, 'constant');
    await page.getByTestId('start').click();
    const note = page.locator('[data-testid=current-run] [data-testid=health-note][data-kind=diverging]');
    await note.waitFor({ timeout: 120_000 });
    expect(await note.textContent()).toMatch(/The loss is rising: \d+\.\d{3} at step \d+, up from \d+\.\d{3} at the start\./);
    expect(await note.textContent()).toContain('Lower the learning rate (now 1.000); try 0.100.');

    await status('completed').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('run-status').getAttribute('data-badge')).toBe('diverged');
    expect(await page.getByTestId('go-params').getAttribute('class')).toContain('primary');
    expect(await page.getByTestId('go-export').textContent()).toBe('Export anyway');
    await page.screenshot({ path: join(ARTIFACTS, 'diverged-live.png'), fullPage: true });

    await page.getByTestId('language').selectOption('zh-CN');
    expect(await note.textContent()).toContain('损失在上升');
    const log = (await page.getByTestId('run-log').textContent())!;
    expect(log).toContain('第 8/8 步 · 损失');
    expect(log).toMatch(/警告：第 \d+ 步： 损失在上升/);
    expect(log).toContain('训练完成，共 8 步');
    expect(log).not.toContain('completed after');
    await page.screenshot({ path: join(ARTIFACTS, 'diverged-live-zh.png'), fullPage: true });
    await page.getByTestId('language').selectOption('en');
    expect(session.browser.pageErrors).toEqual([]);
  });
});
