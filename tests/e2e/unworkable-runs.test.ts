/**
 * Runs that cannot work do not start from the board: a cutoff length that leaves no answer in any example, a
 * cutoff past the model's context. And the presets fit the chosen data: Balanced on the 24-example sample
 * draws a curve and evaluates several times, instead of one point after "Loading the model and data…".
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

const field = (name: string) => session.browser.page.getByTestId(`field-${name}`);

describe('runs that cannot work', () => {
  it('keeps Start off, with the reason, when the cutoff leaves no answer in any example', async () => {
    const { page } = session.browser;
    await page.getByTestId('tab-params').click();
    await field('cutoff_len').fill('1');
    await page.getByTestId('tab-train').click();
    const dataset = page.getByTestId('ready-dataset');
    await expect.poll(() => dataset.textContent(), { timeout: 30_000 }).toContain('cutoff length 1 leaves no answer in any example');
    expect(await dataset.getAttribute('class')).toContain('bad');
    expect(await page.getByTestId('start').isDisabled()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'start-off-no-answers.png'), fullPage: true });

    await page.getByTestId('tab-data').click();
    expect(await page.getByTestId('dataset-no-answers').textContent()).toContain('A cutoff length of 1 leaves no answer in any example');
    await page.getByTestId('tab-params').click();
    await page.getByTestId('preset-quick').click();
    await page.getByTestId('tab-train').click();
    await expect.poll(() => page.getByTestId('start').isEnabled(), { timeout: 30_000 }).toBe(true);
  });

  it("flags a cutoff length past the model's context on its field", async () => {
    const { page } = session.browser;
    await page.getByTestId('tab-params').click();
    await field('cutoff_len').fill('600');
    const problem = page.getByTestId('problem-cutoff_len');
    expect(await problem.textContent()).toContain('Cutoff length is more than this model’s context (512 tokens, max_position_embeddings).');
    expect(await field('cutoff_len').getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: join(ARTIFACTS, 'cutoff-above-context.png'), fullPage: true });
    await page.getByTestId('tab-train').click();
    expect(await page.getByTestId('start').isDisabled()).toBe(true);
    await page.getByTestId('tab-params').click();
    await field('cutoff_len').fill('512');
    expect(await problem.count()).toBe(0);
    await page.getByTestId('preset-quick').click();
    expect(session.browser.pageErrors).toEqual([]);
  });

  it('fits the Balanced preset to the sample data: a curve of loss points and several evaluations', { timeout: 240_000 }, async () => {
    const { page } = session.browser;
    await page.getByTestId('tab-params').click();
    await page.getByTestId('preset-balanced').click();
    // 24 examples, 2 held out: batches of 4 without accumulation make 6 steps an epoch, 18 in 3 epochs; the model's context is 512.
    expect(await field('cutoff_len').inputValue()).toBe('512');
    expect(await field('gradient_accumulation_steps').inputValue()).toBe('1');
    expect(await field('logging_steps').inputValue()).toBe('1');
    expect(await field('eval_steps').inputValue()).toBe('4');
    expect(await field('save_steps').inputValue()).toBe('9');
    await page.getByTestId('tab-train').click();
    expect(await page.getByTestId('ready-params').textContent()).toContain('Balanced');
    await expect.poll(() => page.getByTestId('start').isEnabled(), { timeout: 30_000 }).toBe(true);
    await page.getByTestId('start').click();
    await page.locator('[data-testid=current-run][data-status=completed]').waitFor({ timeout: 200_000 });
    expect(await page.getByTestId('progress-step').textContent()).toBe('18 / 18');
    expect(Number(await page.getByTestId('loss-chart').getAttribute('data-points'))).toBe(18);
    await page.screenshot({ path: join(ARTIFACTS, 'balanced-on-sample.png'), fullPage: true });
    // Before the first step, after steps 4, 8, 12, 16 and the last.
    expect((await page.getByTestId('run-log').textContent())!.match(/eval loss/g)).toHaveLength(6);
    expect(session.browser.pageErrors).toEqual([]);
  });
});
