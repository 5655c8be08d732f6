/**
 * Bad input through the board, each answered by a clear message where it happened: a folder that is not a
 * model, a malformed dataset (and one with some bad rows), an out-of-range learning rate, a validation set as
 * large as the dataset. Start stays off.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cli/run-cli';
import { boardInBrowser } from './board-in-browser';

const session = boardInBrowser();

beforeAll(async () => {
  await session.browser.page.goto(session.board.url);
  await session.browser.page.locator('[data-testid=ready-dataset].ok').waitFor({ timeout: 30_000 });
});

async function useTypedPath(testid: string, path: string): Promise<void> {
  await session.browser.page.getByTestId(`${testid}-input`).fill(path);
  await session.browser.page.getByTestId(`${testid}-input`).press('Enter');
}

describe('bad input in the board', () => {
  it('says why a folder is not a model, and Start stays off', async () => {
    const { page } = session.browser;
    const notAModel = join(session.board.dir, 'holiday-photos');
    mkdirSync(notAModel, { recursive: true });
    writeFileSync(join(notAModel, 'notes.txt'), 'not a model\n');

    await page.getByTestId('tab-model').click();
    await useTypedPath('model', notAModel);
    const error = page.getByTestId('model-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('cannot be used as a model');
    expect(await error.textContent()).toContain('config.json');
    expect(await error.textContent()).not.toMatch(/\bat \w+ \(|Error:/);

    await page.getByTestId('tab-train').click();
    expect(await page.getByTestId('ready-model').getAttribute('class')).toContain('bad');
    expect(await page.getByTestId('start').isDisabled()).toBe(true);

    await page.getByTestId('tab-model').click();
    await page.getByRole('button', { name: 'Use the demo model' }).click();
    await page.getByTestId('model-details').waitFor();
  });

  it('says where a dataset file is malformed, and lists bad rows by number', async () => {
    const { page } = session.browser;
    const broken = join(session.board.dir, 'broken.json');
    writeFileSync(broken, '[\n  {"instruction": "Say hi", "output": "Hi"},\n  {"instruction": "Say bye", "output": \n]\n');
    await page.getByTestId('tab-data').click();
    await useTypedPath('dataset', broken);
    const error = page.getByTestId('dataset-error');
    await error.waitFor({ timeout: 30_000 });
    expect(await error.textContent()).toContain('cannot be used');
    expect(await error.textContent()).toContain('not valid JSON');
    expect(await error.textContent()).toMatch(/line \d+/);

    const someBad = join(session.board.dir, 'some-bad-rows.json');
    const rows = [
      { instruction: 'What is 2 + 2?', input: '', output: '4' },
      { instruction: 'Name a colour.', input: '' },
      { instruction: 'Capital of Italy?', input: '', output: 'Rome' },
      { input: 'orphan', output: 'no instruction' },
    ];
    writeFileSync(someBad, JSON.stringify(rows, null, 1));
    await useTypedPath('dataset', someBad);
    const bad = page.getByTestId('dataset-bad-rows');
    await bad.waitFor({ timeout: 30_000 });
    expect(await bad.textContent()).toContain('2 of 4 rows were skipped');
    expect(await bad.textContent()).toContain('Row 2:');
    expect(await bad.textContent()).toContain('Row 4:');
    expect(await page.getByTestId('dataset-summary').textContent()).toContain('2 usable of 4');

    await page.getByRole('button', { name: 'Use the sample dataset' }).click();
    await page.locator('[data-testid=dataset-bad-rows]').waitFor({ state: 'detached', timeout: 30_000 });
  });

  it("keeps Start off from the moment the dataset changes until the new dataset's preview is in", async () => {
    const { page } = session.browser;
    const copy = join(session.board.dir, 'copy-of-sample.json');
    copyFileSync(join(ROOT, 'resources/datasets/sample_alpaca.json'), copy);
    await page.getByTestId('tab-data').click();
    // In one go inside the page: use the new path, open the Train tab and read Start two frames later, well before
    // the board's debounce (300 ms) has even asked for the preview. The old preview must not count for the new file.
    const [disabled, mark] = await page.evaluate(async (path) => {
      const input = document.querySelector<HTMLInputElement>('[data-testid=dataset-input]')!;
      input.value = path;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
      document.querySelector<HTMLElement>('[data-testid=tab-train]')!.click();
      await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
      return [document.querySelector<HTMLButtonElement>('[data-testid=start]')!.disabled, document.querySelector('[data-testid=ready-dataset]')!.className];
    }, copy);
    expect(disabled).toBe(true);
    expect(mark).not.toContain('ok');
    await expect.poll(() => page.getByTestId('start').isEnabled(), { timeout: 30_000 }).toBe(true);
    expect(await page.getByTestId('ready-dataset').textContent()).toContain('copy-of-sample.json');
    await page.getByTestId('tab-data').click();
    await page.getByRole('button', { name: 'Use the sample dataset' }).click();
  });

  it('flags an out-of-range learning rate next to the field, before Start', async () => {
    const { page } = session.browser;
    await page.getByTestId('tab-params').click();
    const field = page.getByTestId('field-learning_rate');
    const problem = page.getByTestId('problem-learning_rate');

    await field.fill('5');
    expect(await problem.textContent()).toContain('Learning rate must be at most 1');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    await field.fill('-0.001');
    expect(await problem.textContent()).toContain('must be greater than 0');
    await field.fill('fast');
    expect(await problem.textContent()).toContain('must be a number');
    expect(await page.getByTestId('params-invalid').textContent()).toContain('1 values need fixing');

    await page.getByTestId('tab-train').click();
    expect(await page.getByTestId('ready-params').getAttribute('class')).toContain('bad');
    expect(await page.getByTestId('start').isDisabled()).toBe(true);

    await page.getByTestId('tab-params').click();
    await page.getByTestId('field-val_size').fill('30');
    expect(await page.getByTestId('problem-val_size').textContent()).toContain('would hold out all 24 usable examples');
    await page.getByTestId('field-lora_rank').fill('2.5');
    expect(await page.getByTestId('problem-lora_rank').textContent()).toContain('whole number');
    await page.getByTestId('preset-quick').click();
    expect(await problem.count()).toBe(0);
    await page.getByTestId('tab-train').click();
    await expect.poll(() => page.getByTestId('start').isEnabled()).toBe(true);

    expect(session.browser.pageErrors).toEqual([]);
  });
});
