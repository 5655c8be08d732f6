/**
 * Compare runs on the Runs tab: three runs written as training leaves them, two of them ticked; their training and
 * eval losses on one chart (a line and a dashed line each, one colour per run), and a table of their results and
 * of the config keys whose values differ, output_dir left out.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cli/run-cli';
import { boardInBrowser } from './board-in-browser';
import { writeRun } from './written-runs';

const ARTIFACTS = resolve(ROOT, 'test-results');
const session = boardInBrowser();

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const { runsDir } = session.board;
  await writeRun(runsDir, 'lr-high', {
    status: 'completed',
    startedAt: '2026-02-01T10:00:00.000Z',
    losses: [3.1, 2.6, 2.2, 1.9, 1.7, 1.6, 1.5, 1.45],
    evalLosses: { 4: 2.4, 8: 2.1 },
    config: { learning_rate: 0.002, lora_rank: 8, lora_target: ['q_proj', 'v_proj'] },
  });
  await writeRun(runsDir, 'lr-low', {
    status: 'completed',
    startedAt: '2026-02-02T10:00:00.000Z',
    losses: [3.1, 3.0, 2.9, 2.85, 2.8, 2.75],
    evalLosses: { 3: 3.0, 6: 2.9 },
    config: { learning_rate: 0.0002, lora_rank: 8, lora_target: ['q_proj', 'v_proj', 'o_proj'] },
  });
  await writeRun(runsDir, 'not-ticked', { status: 'completed', startedAt: '2026-02-03T10:00:00.000Z', losses: [3, 2], config: { lora_rank: 64 } });
});

describe('compare runs', () => {
  it('overlays two runs’ loss and eval-loss curves and lists the config keys that differ', async () => {
    const { page } = session.browser;
    await page.goto(`${session.board.url}#runs`);
    const row = (id: string) => page.locator(`[data-testid=run-row][data-run="${id}"]`);
    await row('lr-low').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('compare-runs').isDisabled()).toBe(true);
    await row('lr-high').getByTestId('compare-run').check();
    expect(await page.getByTestId('compare-runs').isDisabled()).toBe(true);
    await row('lr-low').getByTestId('compare-run').check();
    expect(await page.getByTestId('compare-runs').textContent()).toContain('Compare runs (2)');
    await page.screenshot({ path: join(ARTIFACTS, 'compare-runs-ticked.png'), fullPage: true });
    await page.getByTestId('compare-runs').click();

    const chart = page.getByTestId('compare-chart');
    await chart.waitFor();
    // Per run: its training loss and its eval loss; the first series is lr-high's 8 logged steps.
    await expect.poll(() => chart.getAttribute('data-series')).toBe('4');
    expect(await chart.getAttribute('data-points')).toBe('8');

    const table = page.getByTestId('compare-table');
    await expect.poll(() => page.getByTestId('compare-key').count()).toBe(3);
    const keys = await page.getByTestId('compare-key').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));
    expect(keys.sort()).toEqual(['learning_rate', 'lora_target', 'max_steps']);
    const cells = (key: string) => page.locator(`[data-testid=compare-key][data-key="${key}"] td`).allTextContents();
    expect(await cells('learning_rate')).toEqual(['learning_rate', '0.002', '0.0002']);
    expect(await cells('lora_target')).toEqual(['lora_target', 'q_proj, v_proj', 'q_proj, v_proj, o_proj']);
    expect(await cells('max_steps')).toEqual(['max_steps', '8', '6']);
    const text = (await table.textContent())!;
    expect(text).toContain('Settings that differ: 3');
    expect(text).toContain('1.4500');
    expect(text).toContain('2.7500');
    // The eval loss of each run is its last evaluation.
    expect(text).toContain('2.1000');
    expect(text).toContain('2.9000');
    expect(text).not.toContain('not-ticked');
    await page.screenshot({ path: join(ARTIFACTS, 'compare-runs.png'), fullPage: true });

    // Back to the list, the ticks kept; unticking one leaves nothing to compare.
    await page.getByRole('button', { name: '← All runs' }).click();
    await row('lr-low').getByTestId('compare-run').uncheck();
    expect(await page.getByTestId('compare-runs').isDisabled()).toBe(true);
    expect(session.browser.pageErrors).toEqual([]);
  });
});
