/**
 * The engine reads a run's curves and says what it sees: a diverging loss, overfitting with the best step, and a
 * loss that stops being a number, which fails the run at that step with the last good checkpoint kept.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { encode } from '../../src-main/engine/formats/dtype';
import { SafetensorsFile, writeSafetensors } from '../../src-main/engine/formats/safetensors';
import { ChatTokenizer } from '../../src-main/engine/formats/tokenizer';
import { runTrainJob } from '../../src-main/engine/jobs/train-job';
import { listCheckpoints } from '../../src-main/engine/train/checkpoint-folders';
import { readTrainConfig } from '../../src-main/engine/train/config-file';
import { readRunRecord } from '../../src-main/engine/train/run-files';
import type { HealthReading, TrainEvent } from '../../src-main/protocol/engine-types';
import { json, runCli } from '../cli/run-cli';
import { fixturePath } from '../fixtures';

const tmp = (name: string) => join(mkdtempSync(join(tmpdir(), 'tb-health-')), name);

/** Trains the demo model on the sample data with `overrides`, collecting the events. */
async function train(overrides: Record<string, unknown>): Promise<{ events: TrainEvent[]; outputDir: string; error: Error | null }> {
  const outputDir = tmp('run');
  const yaml = join(outputDir + '-config.yaml');
  writeFileSync(yaml, readFileSync('examples/demo.yaml', 'utf8'));
  const pairs = Object.entries({ output_dir: outputDir, ...overrides }).map(([k, v]) => `${k}=${v}`);
  const { config } = await readTrainConfig(yaml, pairs);
  const events: TrainEvent[] = [];
  const error = await runTrainJob(config, { backend: 'wasm', emit: (e) => events.push(e) }).then(
    () => null,
    (e: Error) => e,
  );
  return { events, outputDir, error };
}

const readings = (events: TrainEvent[]) => events.flatMap((e) => (e.type === 'health' ? [e.reading] : []));

describe('health readings', () => {
  test('learning rate 1 on the demo model: the divergence reading within the first 20 steps, on stderr too', async () => {
    const out = tmp('run');
    const r = await runCli(['train', 'examples/demo.yaml', `output_dir=${out}`, 'learning_rate=1', 'max_steps=20', 'warmup_ratio=0', 'eval_steps=100', '--backend', 'wasm', '--json']);
    const result = json(r);
    expect(result.status).toBe('completed');
    expect(r.stderr).toMatch(/warning: step (\d+): the loss is rising: [\d.]+ at step \d+, up from [\d.]+ at the start\n {2}Lower the learning rate \(now 1\.000\); try 0\.100\./);
    const diverging = (await readRunRecord(out))!.health!.find((h) => h.kind === 'diverging')!;
    expect(diverging.step).toBeLessThanOrEqual(20);
    expect(diverging.values['loss']).toBeGreaterThan(1.3 * diverging.values['start']!);
    // The metrics line of that step carries it too.
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.flatMap((l) => l.health ?? []).map((h: HealthReading) => h.kind)).toContain('diverging');
  }, 120_000);

  test('a small dataset for many epochs: the overfitting reading names the best step', async () => {
    const { events, error } = await train({ learning_rate: 5e-3, max_steps: 60, val_size: 6, eval_steps: 5, save_steps: 5, logging_steps: 5, lora_dropout: 0, warmup_ratio: 0 });
    expect(error).toBeNull();
    const overfitting = readings(events).find((h) => h.kind === 'overfitting');
    expect(overfitting, JSON.stringify(events.filter((e) => e.type === 'eval'))).toBeDefined();
    const evals = events.flatMap((e) => (e.type === 'eval' ? [e] : [])).filter((e) => e.step <= overfitting!.step);
    const best = evals.slice(0, -1).reduce((b, e) => (e.evalLoss < b.evalLoss ? e : b));
    expect(overfitting!.values['bestStep']).toBe(best.step);
    expect(overfitting!.message).toMatch(new RegExp(`the best evaluation was at step ${best.step} \\(eval loss [\\d.]+\\)( \\(checkpoint step-${best.step}\\))?`));
    expect(overfitting!.values['evalLoss']).toBeGreaterThan(1.1 * overfitting!.values['bestEvalLoss']!);
  }, 180_000);

  test('data that give a NaN stop the run as failed at that step, with the last good checkpoint kept', async () => {
    // tiny-llama (untied: its LM head does not share the embedding) with one token's embedding row NaN: the
    // loss turns NaN at the first step whose examples hold that token, and only there.
    const model = tmp('model');
    cpSync(fixturePath('tiny-llama', 'model'), model, { recursive: true });
    const tokenizer = await ChatTokenizer.load(model);
    const poison = tokenizer.encode('§', false)[0]!;
    const file = await SafetensorsFile.open(join(model, 'model.safetensors'));
    const tensors = await Promise.all([...file.tensors.values()].map(async (t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, values: (await file.read(t.name)) as Float32Array })));
    await file.close();
    const embedding = tensors.find((t) => t.name === 'model.embed_tokens.weight')!;
    embedding.values.fill(NaN, poison * embedding.shape[1]!, (poison + 1) * embedding.shape[1]!);
    rmSync(join(model, 'model.safetensors'));
    await writeSafetensors(join(model, 'model.safetensors'), tensors.map((t) => ({ ...t, bytes: encode('F32', t.values) })));
    // Eight clean examples, then one with the token: with batches of 2 and no shuffling it lands in step 5.
    const rows = JSON.parse(readFileSync(fixturePath('dataset_alpaca.json'), 'utf8')).slice(0, 8);
    rows.push({ instruction: 'Repeat §', input: '', output: 'Here it is: §' });
    const dataset = tmp('poisoned.json');
    writeFileSync(dataset, JSON.stringify(rows));
    const { events, outputDir, error } = await train({ model_name_or_path: model, dataset, per_device_train_batch_size: 2, shuffle: false, save_steps: 2, val_size: 0, max_steps: 8, cutoff_len: 256 });
    expect(events.filter((e) => e.type === 'log' && /dropped/.test(e.message))).toEqual([]);
    expect(error?.message).toBe('the loss became NaN (not a number) at step 5, so the run stopped');
    expect((error as Error & { hint?: string }).hint).toMatch(/learning rate too high .*then resume from the last good checkpoint \(step 4\)\./);
    const record = (await readRunRecord(outputDir))!;
    expect(record.status).toBe('failed');
    expect(record.error).toContain('at step 5');
    expect(record.health!.at(-1)).toMatchObject({ kind: 'non-finite', severity: 'error', step: 5 });
    expect((await listCheckpoints(outputDir)).map((c) => c.step)).toEqual([2, 4]);
    expect(events.some((e) => e.type === 'health' && e.reading.kind === 'non-finite')).toBe(true);
  }, 120_000);
});

describe('runs that cannot work do not start', () => {
  test('cutoff_len 1 leaves no answer: refused with the cutoff that keeps one, before any step', async () => {
    const { events, outputDir, error } = await train({ cutoff_len: 1 });
    expect(error?.message).toMatch(/^cutoff_len 1 leaves no answer token in any example: at least (\d+) is needed here$/);
    const needed = Number(/at least (\d+)/.exec(error!.message)![1]);
    expect(needed).toBeGreaterThan(10);
    // That cutoff keeps an answer in every example: nothing is dropped.
    const ok = await train({ cutoff_len: needed, max_steps: 1 });
    expect(ok.error).toBeNull();
    expect(ok.events.filter((e) => e.type === 'log' && /dropped/.test(e.message))).toEqual([]);
    expect(events.some((e) => e.type === 'started')).toBe(false);
    expect((await readRunRecord(outputDir))!.status).toBe('failed');
  }, 60_000);

  test('a cutoff past the model context is refused; examples losing their answer are dropped and counted', async () => {
    expect((await train({ cutoff_len: 100_000 })).error?.message).toBe('cutoff_len 100000 is more than this model\'s context (max_position_embeddings 512)');
    // One token short of what the longest prompt needs: that example (at least) loses its answer.
    const needed = Number(/at least (\d+)/.exec((await train({ cutoff_len: 1 })).error!.message)![1]);
    const { events } = await train({ cutoff_len: needed - 1, max_steps: 1 });
    const dropped = events.find((e) => e.type === 'log' && /were dropped/.test(e.message));
    expect(dropped && dropped.type === 'log' && dropped.message).toMatch(new RegExp(`^\\d+ of 24 examples have no answer token within cutoff_len ${needed - 1} and were dropped \\(rows [\\d, .]+\\); cutoff_len ${needed} keeps an answer in every example$`));
  }, 60_000);

  test('settings larger than the run are said in words', async () => {
    const { events } = await train({ per_device_train_batch_size: 64, max_steps: 3, logging_steps: 10, eval_steps: 10, save_steps: 10 });
    const warnings = events.flatMap((e) => (e.type === 'log' && e.level === 'warn' ? [e.message] : []));
    expect(warnings).toContain('per_device_train_batch_size 64 is more than the 20 training examples: each step takes all 20');
    expect(warnings).toContain("logging_steps 10 is more than this run's 3 steps: the loss is logged at the last step only; logging_steps 1 draws a curve");
    expect(warnings).toContain("eval_steps 10 is more than this run's 3 steps: the held-out loss is measured only before the first step and after the last");
  }, 60_000);
});
