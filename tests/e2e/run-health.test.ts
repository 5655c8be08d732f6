/**
 * Past runs as the engine leaves them, read by the board: a run whose loss became NaN (gaps in the chart, "–"
 * for the numbers, the Train tab still shown), and the health readings of a run that diverged and of one the
 * engine stopped, in plain words with their numbers, in English and in Chinese; a diverged run is marked so, and
 * is neither offered as a plain success nor chosen for chat.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HealthReading } from '../../src-main/protocol/engine-types';
import { ROOT } from '../cli/run-cli';
import { boardInBrowser } from './board-in-browser';
import { writeRun } from './written-runs';

const ARTIFACTS = resolve(ROOT, 'test-results');
const session = boardInBrowser();

const diverging: HealthReading = {
  step: 5,
  kind: 'diverging',
  severity: 'warn',
  values: { loss: 9.922, start: 5.753, lr: 1 },
  message: 'the loss is rising: 9.922 at step 5, up from 5.753 at the start',
  advice: 'Lower the learning rate (now 1.000); try 0.100.',
};
const nonFinite: HealthReading = {
  step: 12,
  kind: 'non-finite',
  severity: 'error',
  // NaN is written as null in run.json, as the engine's JSON.stringify does.
  values: { loss: NaN, gradNorm: 3.2, lr: 0.5, checkpoint: 10 },
  message: 'the loss became NaN (not a number) at step 12, so the run stopped',
  advice:
    'Usual causes: a learning rate too high (now 0.500), fp16 weights overflowing, or broken examples (empty or garbled text). Lower the learning rate, check the data, then resume from the last good checkpoint (step 10).',
};

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const { runsDir } = session.board;
  await writeRun(runsDir, 'diverged-run', { status: 'completed', startedAt: '2026-01-01T10:00:00.000Z', losses: [5.753, 12.5, 12.9, 14.7, 11.4, 10.6, 10.2, 9.8], health: [diverging] });
  await writeRun(runsDir, 'stopped-by-nan', {
    status: 'failed',
    startedAt: '2026-01-02T10:00:00.000Z',
    losses: [3.1, 2.9, 2.7, 2.8, 3.5, 4.9, 7.7, 15.2, 40.1, 88, 230],
    health: [nonFinite],
    error: `${nonFinite.message}\n${nonFinite.advice}`,
  });
  // The newest: the Train tab shows it on opening.
  await writeRun(runsDir, 'nan-losses', { status: 'completed', startedAt: '2026-01-03T10:00:00.000Z', losses: [3.2, 2.9, null, null, 2.5, 2.4, null, 2.2, 2.1, null] });
});

/** The page afresh on a tab (a new hash alone would keep the run opened before). */
async function openTab(tab: string): Promise<void> {
  await session.browser.page.goto(`${session.board.url}#${tab}`);
  await session.browser.page.reload();
}

const points = async (chart: string, what: 'points' | 'gaps' = 'points') => Number(await session.browser.page.getByTestId(chart).getAttribute(`data-${what}`));

describe('run health on the board', () => {
  it('charts a run with NaN losses with gaps, shows "–" for them, and the Train tab renders', async () => {
    const { page } = session.browser;
    await openTab('train');
    await page.locator('[data-testid=current-run]').waitFor({ timeout: 30_000 });
    expect((await page.getByTestId('run-id').textContent())!.trim()).toBe('nan-losses');
    await expect.poll(() => points('loss-chart')).toBe(10);
    expect(await points('loss-chart', 'gaps')).toBe(4);
    expect(await page.getByTestId('progress-loss').textContent()).toBe('–');
    expect(await page.getByTestId('progress-step').textContent()).toBe('10 / 10');
    await page.screenshot({ path: join(ARTIFACTS, 'nan-losses-train.png'), fullPage: true });

    await page.getByTestId('tab-runs').click();
    const row = page.locator('[data-testid=run-row][data-run=nan-losses]');
    expect(await row.locator('td.num').nth(2).textContent()).toBe('–');
    await row.getByRole('button', { name: 'Open' }).click();
    await page.getByTestId('run-detail').waitFor();
    expect(await points('loss-chart', 'gaps')).toBe(4);
    expect(session.browser.pageErrors).toEqual([]);
  });

  it('marks a run that diverged in the list, says why in plain words, and offers to change the parameters first', async () => {
    const { page } = session.browser;
    await openTab('runs');
    const diverged = page.locator('[data-testid=run-row][data-run=diverged-run]').getByTestId('run-status');
    await diverged.waitFor({ timeout: 30_000 });
    expect(await diverged.getAttribute('data-badge')).toBe('diverged');
    expect(await diverged.textContent()).toBe('diverged');
    expect(await page.locator('[data-testid=run-row][data-run=nan-losses]').getByTestId('run-status').getAttribute('data-badge')).toBe('completed');
    await page.screenshot({ path: join(ARTIFACTS, 'runs-list-diverged.png'), fullPage: true });

    await page.locator('[data-testid=run-row][data-run=diverged-run]').getByRole('button', { name: 'Open' }).click();
    const note = page.locator('[data-testid=health-note][data-kind=diverging]');
    await note.waitFor();
    expect(await note.getAttribute('data-severity')).toBe('warn');
    expect(await note.textContent()).toContain('The loss is rising: 9.922 at step 5, up from 5.753 at the start.');
    expect(await note.textContent()).toContain('Lower the learning rate (now 1.000); try 0.100.');
    // The main action is not "Export it".
    expect(await page.getByTestId('go-params').getAttribute('class')).toContain('primary');
    expect(await page.getByTestId('go-export').textContent()).toBe('Export anyway');
    expect((await page.getByTestId('go-export').getAttribute('class')) ?? '').not.toContain('primary');
    await page.screenshot({ path: join(ARTIFACTS, 'run-detail-diverged.png'), fullPage: true });

    await page.getByTestId('language').selectOption('zh-CN');
    expect(await note.textContent()).toContain('损失在上升：第 5 步为 9.922，开始时为 5.753。');
    expect(await note.textContent()).toContain('请降低学习率（当前为 1.000），可以试试 0.100。');
    await page.getByTestId('language').selectOption('en');
    expect(session.browser.pageErrors).toEqual([]);
  });

  it('shows the reading that stopped a run as an error, with its advice', async () => {
    const { page } = session.browser;
    await openTab('runs');
    await page.locator('[data-testid=run-row][data-run=stopped-by-nan]').getByRole('button', { name: 'Open' }).click();
    const note = page.locator('[data-testid=health-note][data-kind=non-finite]');
    await note.waitFor();
    expect(await note.getAttribute('data-severity')).toBe('error');
    expect(await note.getAttribute('role')).toBe('alert');
    expect(await note.textContent()).toContain('The loss became NaN (not a number) at step 12, so the run stopped.');
    expect(await note.textContent()).toContain('then resume from the last good checkpoint (step 10).');
    await page.screenshot({ path: join(ARTIFACTS, 'run-detail-stopped-by-nan.png'), fullPage: true });

    await page.getByTestId('language').selectOption('zh-CN');
    expect(await note.textContent()).toContain('第 12 步损失变成了 NaN（非数值），训练已停止。');
    expect(await note.textContent()).toContain('从最后一个正常的检查点（第 10 步）继续训练');
    await page.getByTestId('language').selectOption('en');
    expect(session.browser.pageErrors).toEqual([]);
  });

  it('chooses for chat a run worth using: the newest completed run that did not diverge', async () => {
    const { page } = session.browser;
    await writeRun(session.board.runsDir, 'diverged-newest', { status: 'completed', startedAt: '2026-01-04T10:00:00.000Z', losses: [5.7, 9, 12, 14, 15], health: [diverging] });
    await openTab('chat');
    await expect.poll(() => page.getByTestId('chat-using').textContent(), { timeout: 30_000 }).toContain('nan-losses');
    expect(await page.getByTestId('chat-run').inputValue()).toBe('nan-losses');
    expect(session.browser.pageErrors).toEqual([]);
  });
});
