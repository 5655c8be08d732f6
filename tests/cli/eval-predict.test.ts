/**
 * Predict and score through `tuneboard eval`: LLaMA-Factory's metrics on the reference rows, generations scored for
 * a base model and a trained adapter, Ctrl-C keeping what was scored, and bad input named.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { DEMO_MODEL, readJson } from '../fixtures';
import { json, runCli } from './run-cli';

const tmp = (name: string) => join(mkdtempSync(join(tmpdir(), 'tb-predict-')), name);
const METRICS = ['bleu-4', 'rouge-1', 'rouge-2', 'rouge-l', 'em', 'f1'] as const;
const DATASET = 'resources/datasets/sample_alpaca.json';

describe('tuneboard eval --predictions', () => {
  test('scores the reference rows as LLaMA-Factory: each value equal to 4 places, the means within 1e-4', async () => {
    const fixture = readJson('eval-metrics', 'metrics.json');
    const file = tmp('generated_predictions.jsonl');
    writeFileSync(file, fixture.rows.map((r: { predict: string; label: string }) => JSON.stringify({ prompt: 'p', predict: r.predict, label: r.label })).join('\n') + '\n');
    const result = json(await runCli(['eval', '--predictions', file, '--json']));
    expect(result.samples).toBe(fixture.rows.length);
    for (const [i, row] of fixture.rows.entries()) {
      for (const m of METRICS) expect(result.rows[i].scores[m].toFixed(4), `row ${i + 1} ${m}`).toBe(Number(row[m]).toFixed(4));
    }
    for (const m of METRICS) expect(Math.abs(result.metrics[`predict_${m}`] - fixture.mean[m]), m).toBeLessThan(1e-4);
  });

  test('a broken line or a missing label is named with its line number', async () => {
    const broken = tmp('broken.jsonl');
    writeFileSync(broken, '{"predict": "a", "label": "a"}\n{"predict": "b", "label": \n');
    const r = await runCli(['eval', '--predictions', broken]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`error: ${broken}: line 2: `));
    const unlabelled = tmp('unlabelled.jsonl');
    writeFileSync(unlabelled, '{"predict": "a", "label": "a"}\n\n{"prompt": "q", "predict": "b"}\n');
    expect((await runCli(['eval', '--predictions', unlabelled])).stderr).toMatch(/line 3: .*"label"/);
  });
});

describe('tuneboard eval --predict', () => {
  test('an adapter trained on the data scores higher than the base model on it; both predictions files written', async () => {
    const run = tmp('run');
    json(await runCli(['train', 'examples/demo.yaml', `output_dir=${run}`, 'max_steps=40', 'val_size=0', 'cutoff_len=96', 'save_steps=1000', '--backend', 'wasm', '--json']));
    const out = tmp('predict');
    const result = json(await runCli(['eval', '--predict', '--model', DEMO_MODEL, '--adapter', run, '--dataset', DATASET, '--max-samples', '4', '--max-new-tokens', '48', '--out', out, '--backend', 'wasm', '--json']));
    const [base, adapter] = result.targets;
    expect(base).toMatchObject({ name: 'base', samples: 4, partial: false });
    expect(adapter).toMatchObject({ name: 'adapter', samples: 4, partial: false });
    expect(adapter.metrics['predict_rouge-l']).toBeGreaterThan(base.metrics['predict_rouge-l']);
    expect(adapter.metrics['predict_bleu-4']).toBeGreaterThan(base.metrics['predict_bleu-4']);
    expect(result.best).toBe('adapter');
    expect(result.metrics).toEqual(adapter.metrics);
    for (const name of ['base', 'adapter']) {
      const lines = readFileSync(join(out, name, 'generated_predictions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(4);
      for (const l of lines) expect(Object.keys(l)).toEqual(['prompt', 'predict', 'label']);
      expect(JSON.parse(readFileSync(join(out, name, 'predict_results.json'), 'utf8'))).toMatchObject({ predict_samples: 4 });
    }
    const rows = JSON.parse(readFileSync(DATASET, 'utf8'));
    expect(JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8')).examples[0].label).toBe(rows[0].output);
  }, 180_000);

  test('Ctrl-C keeps what was scored, marked partial', async () => {
    const out = tmp('stopped');
    let stopped = false;
    const r = await runCli(['eval', '--predict', '--model', DEMO_MODEL, '--dataset', DATASET, '--max-new-tokens', '32', '--out', out, '--backend', 'wasm', '--json'], {
      onStderr: (chunk, child) => {
        if (!stopped && /base: \d+\/24/.test(chunk)) {
          stopped = true;
          child.kill('SIGINT');
        }
      },
    });
    const result = json(r);
    expect(stopped).toBe(true);
    expect(result.targets[0]).toMatchObject({ name: 'base', partial: true });
    expect(result.targets[0].samples).toBeGreaterThanOrEqual(1);
    expect(result.targets[0].samples).toBeLessThan(24);
    expect(readFileSync(join(out, 'base', 'generated_predictions.jsonl'), 'utf8').trim().split('\n')).toHaveLength(result.targets[0].samples);
    expect(JSON.parse(readFileSync(join(out, 'base', 'predict_results.json'), 'utf8')).partial).toBe(true);
  }, 120_000);

  test('a run whose base model folder has moved says which folder it needs', async () => {
    const model = tmp('model');
    cpSync(DEMO_MODEL, model, { recursive: true });
    const run = tmp('run');
    json(await runCli(['train', 'examples/demo.yaml', `model_name_or_path=${model}`, `output_dir=${run}`, 'max_steps=2', 'cutoff_len=96', '--backend', 'wasm', '--json']));
    const moved = `${model}-moved`;
    renameSync(model, moved);
    const r = await runCli(['eval', '--predict', '--run', run, '--backend', 'wasm']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the run ${run.split('/').pop()} was trained on the base model ${model}, which is not there any more`);
    expect(r.stderr).toMatch(/point at its folder \(--model/);
    // Pointed at where it went, it runs (the run held 4 examples out).
    const out = tmp('moved-predict');
    const result = json(await runCli(['eval', '--predict', '--run', run, '--model', moved, '--max-new-tokens', '8', '--out', out, '--backend', 'wasm', '--json']));
    expect(result.targets.map((t: { name: string }) => t.name)).toEqual(['base', 'final']);
    expect(result.examples).toBe(4);
    expect(existsSync(join(out, 'final', 'generated_predictions.jsonl'))).toBe(true);
  }, 120_000);
});
