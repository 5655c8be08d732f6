/**
 * The config as YAML: what the board saves is what `tuneboard train CONFIG.yaml` reads (LLaMA-Factory keys,
 * checked by actually training from it), and loading a YAML fills the forms or says why it cannot.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { json, ROOT, runCli } from '../cli/run-cli';
import { boardInBrowser } from './board-in-browser';

const session = boardInBrowser();

beforeAll(async () => {
  await session.browser.page.goto(`${session.board.url}#params`);
  await session.browser.page.getByTestId('field-learning_rate').waitFor();
});

describe('config as YAML', () => {
  it('saves the YAML tuneboard train runs', { timeout: 120_000 }, async () => {
    const { page } = session.browser;
    await page.getByTestId('field-lora_rank').fill('4');
    await page.getByTestId('field-learning_rate').fill('1e-3');
    await page.getByTestId('target-k_proj').uncheck();

    await page.getByTestId('yaml-show').click();
    const shown = parse((await page.getByTestId('yaml-view').textContent())!);
    expect(shown).toMatchObject({
      model_name_or_path: resolve(ROOT, 'resources/demo-model'),
      dataset: resolve(ROOT, 'resources/datasets/sample_alpaca.json'),
      stage: 'sft',
      finetuning_type: 'lora',
      lora_rank: 4,
      lora_target: 'q_proj,v_proj,o_proj,gate_proj,up_proj,down_proj',
      learning_rate: 0.001,
      max_steps: 40,
      cutoff_len: 128,
      logging_steps: 2,
    });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('yaml-save').click()]);
    const file = join(session.board.dir, 'saved.yaml');
    await download.saveAs(file);
    expect(parse(readFileSync(file, 'utf8'))).toEqual(shown);

    // The file as saved, only shortened: its relative output_dir lands in the working folder.
    const result = json(await runCli(['train', file, 'max_steps=2', '--json'], { cwd: session.board.dir }));
    expect(result).toMatchObject({ status: 'completed', steps: 2 });
    expect(result.outputDir).toBe(join(session.board.dir, shown.output_dir));
  });

  it('loads a YAML into the forms, and says why a bad one cannot be loaded', async () => {
    const { page } = session.browser;
    const good = join(session.board.dir, 'good.yaml');
    writeFileSync(good, 'lora_rank: 32\nlearning_rate: 5.0e-5\nnum_train_epochs: 2\nlr_scheduler_type: linear\nmax_samples: 100\nreport_to: none\n');
    await page.getByTestId('yaml-file').setInputFiles(good);
    await expect.poll(() => page.getByTestId('field-lora_rank').inputValue()).toBe('32');
    expect(await page.getByTestId('field-learning_rate').inputValue()).toBe('0.00005');
    expect(await page.getByTestId('field-num_train_epochs').inputValue()).toBe('2');
    expect(await page.getByTestId('field-lr_scheduler_type').inputValue()).toBe('linear');
    const yaml = parse((await page.getByTestId('yaml-view').textContent())!);
    expect(yaml).toMatchObject({ lora_rank: 32, num_train_epochs: 2, max_samples: 100 });
    expect(yaml).not.toHaveProperty('report_to');
    expect(await page.locator('.card', { has: page.getByTestId('yaml-view') }).textContent()).toContain('Ignored (no effect in TuneBoard): report_to');

    const bad = join(session.board.dir, 'bad.yaml');
    writeFileSync(bad, 'lora_rank: 8\nlearning_rat: 1e-4\n');
    await page.getByTestId('yaml-file').setInputFiles(bad);
    await page.getByTestId('yaml-error').waitFor();
    expect(await page.getByTestId('yaml-error').textContent()).toContain('learning_rat: unknown key (did you mean learning_rate?)');
    expect(await page.getByTestId('field-lora_rank').inputValue()).toBe('32');
    expect(session.browser.pageErrors).toEqual([]);
  });
});
