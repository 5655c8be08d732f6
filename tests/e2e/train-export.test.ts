/**
 * The main path through the real board in Chromium, against `tuneboard serve` and the real engine: the demo
 * model and sample dataset (also picked once with the board's file browser), a Quick test run whose loss
 * chart grows while it trains and survives a page reload, then "Merge and save full model", and the saved
 * folder loads with `tuneboard info`; then a chat with the run's adapter, and
 * the run opened from the history and deleted.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { json, ROOT, runCli } from '../cli/run-cli';
import { boardInBrowser } from './board-in-browser';

const ARTIFACTS = resolve(ROOT, 'test-results');
const DEMO_MODEL = resolve(ROOT, 'resources/demo-model');
const DATASETS = resolve(ROOT, 'resources/datasets');

const session = boardInBrowser();

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
});

const points = async (chart: string) => Number(await session.browser.page.getByTestId(chart).getAttribute('data-points'));

describe('training in the board', () => {
  it('trains the demo model, restores the run after a reload, merges and saves a model tuneboard loads', { timeout: 300_000 }, async () => {
    const { page } = session.browser;
    await page.goto(session.board.url);

    // First launch: the demo model, the sample dataset and the Quick test preset are chosen already.
    await expect.poll(() => page.getByTestId('ready-model').getAttribute('class'), { timeout: 30_000 }).toContain('ok');
    await expect.poll(() => page.getByTestId('ready-dataset').getAttribute('class'), { timeout: 30_000 }).toContain('ok');
    expect(await page.getByTestId('ready-params').textContent()).toContain('Quick test');

    // Pick the model with the board's own file browser (serve mode has no native dialog).
    await page.getByTestId('tab-model').click();
    expect(await page.getByTestId('model-input').inputValue()).toBe(DEMO_MODEL);
    await page.getByTestId('model-browse').click();
    await page.getByTestId('browser-path').fill(resolve(ROOT, 'resources'));
    await page.getByTestId('browser-path').press('Enter');
    const demoEntry = page.locator('[data-testid=browser-entry][data-name=demo-model]');
    await expect.poll(() => demoEntry.getAttribute('data-hint')).toBe('model');
    await demoEntry.getByTestId('browser-use').click();
    await page.getByTestId('model-details').waitFor();
    expect(await page.getByTestId('model-details').textContent()).toContain('LlamaForCausalLM');
    expect(await page.getByTestId('model-chat-template').textContent()).toBe('present');

    // And the dataset: into the datasets folder, click the file.
    await page.getByTestId('tab-data').click();
    await page.getByTestId('dataset-browse').click();
    await page.getByTestId('browser-path').fill(DATASETS);
    await page.getByTestId('browser-path').press('Enter');
    await page.locator('[data-testid=browser-entry][data-name="sample_alpaca.json"] button.open').click();
    await page.getByTestId('dataset-summary').waitFor();
    expect(await page.getByTestId('dataset-input').inputValue()).toBe(join(DATASETS, 'sample_alpaca.json'));
    expect(await page.getByTestId('dataset-format').textContent()).toContain('Alpaca');
    expect(await page.getByTestId('dataset-example').count()).toBe(3);
    expect(await page.locator('[data-testid=dataset-example] .trained').count()).toBeGreaterThanOrEqual(3);

    // Start the Quick test run (40 steps, a point every 2 steps, evaluation every 10).
    await page.getByTestId('tab-train').click();
    await expect.poll(() => page.getByTestId('start').isEnabled(), { timeout: 30_000 }).toBe(true);
    await page.getByTestId('start').click();
    // Generous: on a 2-core CI machine the kernel tests run beside this one while the engine starts.
    await page
      .locator('[data-testid=current-run][data-status=running]')
      .waitFor({ timeout: 60_000 })
      .catch(async (err: Error) => {
        const run = await page.getByTestId('current-run').textContent().catch(() => '(no current run)');
        throw new Error(`${err.message}\nthe board shows: ${run}\ntuneboard serve printed:\n${session.board.output()}`);
      });
    const runId = (await page.getByTestId('run-id').textContent())!.trim();

    // The loss chart gains points while the run goes on.
    await expect.poll(() => points('loss-chart'), { timeout: 90_000, interval: 250 }).toBeGreaterThanOrEqual(2);
    const early = await points('loss-chart');
    await expect.poll(() => points('loss-chart'), { timeout: 60_000, interval: 250 }).toBeGreaterThan(early);
    expect(await page.getByTestId('current-run').getAttribute('data-status')).toBe('running');

    // Reload mid-run: the run, its chart and its progress come back from the host, and live events go on.
    const beforeReload = await points('loss-chart');
    await page.reload();
    await page.locator(`[data-testid=current-run]`).waitFor({ timeout: 30_000 });
    expect((await page.getByTestId('run-id').textContent())!.trim()).toBe(runId);
    await expect.poll(() => points('loss-chart'), { timeout: 30_000, interval: 250 }).toBeGreaterThanOrEqual(beforeReload);
    const afterReload = await points('loss-chart');
    await expect.poll(() => points('loss-chart'), { timeout: 60_000, interval: 250 }).toBeGreaterThan(afterReload);
    expect(await points('lr-chart')).toBeGreaterThan(0);
    expect(await points('memory-chart')).toBeGreaterThan(0);
    expect(await page.getByTestId('memory-chart').textContent()).toMatch(/GPU memory|Process memory/);

    // A screenshot of the Train tab mid-run, for the test artifacts and the README.
    await expect.poll(() => points('loss-chart'), { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(8);
    if ((await page.getByTestId('current-run').getAttribute('data-status')) === 'running') {
      await page.screenshot({ path: join(ARTIFACTS, 'train-mid-run.png'), fullPage: true });
      // The README's picture is refreshed on request only, so a test run leaves the checkout as it was.
      if (process.env['TUNEBOARD_UPDATE_DOCS']) {
        mkdirSync(resolve(ROOT, 'docs'), { recursive: true });
        copyFileSync(join(ARTIFACTS, 'train-mid-run.png'), resolve(ROOT, 'docs/board-mid-run.png'));
      }
    }

    // The run finishes with every logged step charted.
    await page.locator('[data-testid=current-run][data-status=completed]').waitFor({ timeout: 180_000 });
    expect(await page.getByTestId('progress-step').textContent()).toBe('40 / 40');
    expect(await points('loss-chart')).toBe(20);

    // It is in the history.
    await page.getByTestId('tab-runs').click();
    const row = page.locator(`[data-testid=run-row][data-run="${runId}"]`);
    expect(await row.getByTestId('run-status').getAttribute('data-status')).toBe('completed');

    // One click from the finished run to "Merge and save full model", into a folder of the test's own (in the
    // exports folder: the board exports nowhere else unless a folder is chosen in the desktop's dialog).
    await page.getByTestId('tab-train').click();
    await page.getByTestId('go-export').click();
    const out = join(session.board.exportsDir, 'merged-model');
    expect(await page.getByTestId('merge-out-input').inputValue()).toBe(join(session.board.exportsDir, `${runId}-merged`));
    await page.getByTestId('merge-out-input').fill(out);
    await page.getByTestId('merge-start').click();
    await page.getByTestId('export-result').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('export-path').textContent()).toBe(out);
    expect(await page.getByTestId('export-verification').getAttribute('data-ok')).toBe('true');
    // 7 linear layers in each of the demo model's 4 blocks.
    expect(await page.getByTestId('export-result').textContent()).toContain('28 linear layers merged');
    await page.screenshot({ path: join(ARTIFACTS, 'export-result.png'), fullPage: true });

    // The saved folder is a model the engine loads.
    const info = json(await runCli(['info', '--model', out, '--json']));
    expect(info).toMatchObject({ architecture: 'LlamaForCausalLM', layers: 4, chatTemplate: true });

    // Chat with the base model + the run's adapter: the answer streams in token by token.
    await page.getByTestId('tab-chat').click();
    expect(await page.getByTestId('chat-using').textContent()).toContain(runId);
    await page.locator('#chat-max-tokens').fill('64');
    await page.getByTestId('chat-input').fill('What is the capital of France?');
    await page.getByTestId('chat-input').press('Enter');
    await page.getByTestId('chat-stop').waitFor({ timeout: 10_000 });
    await page.getByTestId('chat-send').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('chat-user').textContent()).toContain('What is the capital of France?');
    expect((await page.getByTestId('chat-assistant').textContent())!.trim().length).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=chat-error]').count()).toBe(0);

    // Opened from the history it shows its config and charts; Delete asks once more, then removes it.
    await page.getByTestId('tab-runs').click();
    await row.getByRole('button', { name: 'Open' }).click();
    await page.getByTestId('run-detail').waitFor();
    await page.getByText('Config').click();
    expect(parse((await page.getByTestId('run-config').textContent())!)).toMatchObject({ max_steps: 40, lora_rank: 8, learning_rate: 0.002 });
    expect(await points('loss-chart')).toBe(20);
    await page.getByTestId('delete-run').click();
    expect(await page.getByTestId('delete-run').textContent()).toContain('Click again to delete');
    await page.getByTestId('delete-run').click();
    await page.getByTestId('runs-table').or(page.getByText('No runs yet.')).waitFor();
    expect(await page.locator(`[data-testid=run-row][data-run="${runId}"]`).count()).toBe(0);

    expect(session.browser.pageErrors).toEqual([]);
  });
});
