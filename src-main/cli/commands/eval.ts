import { resolve } from 'node:path';
import { initBackend } from '../../engine/backend/backend';
import { peakResidentBytes } from '../../engine/backend/memory-probe';
import { runEvalJob } from '../../engine/jobs/eval-job';
import { predictMetrics } from '../../engine/jobs/predict-job';
import { evaluateModels } from '../../engine/jobs/run-evaluation';
import { meanScores, scorePrediction, type GenerationScores } from '../../engine/metrics/similarity';
import { readPredictionsFile } from '../../engine/metrics/predictions-file';
import { loadModel } from '../../engine/model/load-model';
import type { PredictComparison } from '../../protocol/engine-types';
import { backendFlag, backendOption, jsonOption, numberFlag, parseCommandLine, required, samplingFrom, samplingOptions } from '../args';
import { printResult, reportBackend } from '../output';
import { clock } from '../progress';
import type { Command } from './command';

const usage = `usage: tuneboard eval --model DIR [--adapter DIR] --dataset FILE|KEY [--dataset-dir DIR] [--cutoff-len N] [--batch-size N]
       tuneboard eval --predict (--model DIR [--adapter DIR] | --run DIR [--model DIR]) [--dataset FILE|KEY [--dataset-dir DIR]]
                      [--out DIR] [--max-new-tokens N] [--max-samples N] [--greedy | --temperature T --top-p P --seed S]
       tuneboard eval --predictions FILE.jsonl
       [--backend auto|tensorflow|webgpu|wasm|cpu] [--json]
  Without --predict: loss and perplexity on the assistant turns of every usable example.
  --predict: generates each example's last answer from its prompt and scores it against the reference as
  LLaMA-Factory does (predict_bleu-4, predict_rouge-1/2/l) plus exact match and token F1, writing
  generated_predictions.jsonl and predict_results.json to --out. --run compares the base model, each checkpoint
  and the final adapter on the examples the run held out (or on --dataset), into --out (default DIR/predict-TIME).
  --predictions: scores an existing predictions file (prompt, predict, label per line; ours or LLaMA-Factory's).
  Ctrl-C stops a --predict after the current example, keeping what was scored.`;

export const evaluate: Command = {
  summary: 'loss and perplexity, or generated answers scored (BLEU, ROUGE), of models on a dataset',
  usage,
  async run(argv) {
    const { values } = parseCommandLine(
      argv,
      {
        model: { type: 'string' },
        adapter: { type: 'string' },
        run: { type: 'string' },
        dataset: { type: 'string' },
        'dataset-dir': { type: 'string' },
        'cutoff-len': { type: 'string' },
        'batch-size': { type: 'string' },
        predict: { type: 'boolean', default: false },
        predictions: { type: 'string' },
        out: { type: 'string' },
        'max-new-tokens': { type: 'string' },
        'max-samples': { type: 'string' },
        ...samplingOptions,
        ...backendOption,
        ...jsonOption,
      },
      usage,
    );
    if (values.predictions !== undefined) return scoreFile(values.predictions, values.json);
    if (values.predict) return predict(values);
    const model = required(values.model, '--model', usage);
    const dataset = required(values.dataset, '--dataset', usage);
    const cutoffLen = numberFlag(values['cutoff-len'], '--cutoff-len', 2048, { min: 2, integer: true });
    const batchSize = numberFlag(values['batch-size'], '--batch-size', 8, { min: 1, integer: true });
    const backend = await initBackend(backendFlag(values.backend));
    if (!values.json) reportBackend(backend);
    const loaded = await loadModel(model);
    try {
      const result = await runEvalJob(loaded, { adapter: values.adapter ?? null, dataset, datasetDir: values['dataset-dir'] ?? null, cutoffLen, batchSize });
      for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
      const { warnings: _, ...out } = result;
      printResult(values.json, { ...out, backend: backend.name, device: backend.device, peakMemory: peakResidentBytes() }, () => `loss ${out.loss.toFixed(4)} · perplexity ${out.perplexity.toFixed(2)} · ${out.tokens} tokens in ${out.examples} examples`);
    } finally {
      loaded.dispose();
    }
  },
};

/** Scores a predictions file as it is: no model, no backend. */
async function scoreFile(path: string, json: boolean): Promise<void> {
  const rows = await readPredictionsFile(path);
  const scores: GenerationScores[] = [];
  for (const row of rows) scores.push(await scorePrediction(row.predict, row.label));
  const metrics = predictMetrics(meanScores(scores));
  const scored = rows.map((row, i) => ({ line: row.line, scores: scores[i]! }));
  printResult(json, { file: path, samples: rows.length, metrics, rows: scored }, () => metricsTable([{ name: path, samples: rows.length, metrics }]));
}

type PredictFlags = { model?: string; adapter?: string; run?: string; dataset?: string; 'dataset-dir'?: string; out?: string; 'max-new-tokens'?: string; 'max-samples'?: string; greedy?: boolean; temperature?: string; 'top-p'?: string; seed?: string; backend?: string; json: boolean };

async function predict(values: PredictFlags): Promise<void> {
  const request = {
    run: values.run ? resolve(values.run) : null,
    model: values.model ?? null,
    adapter: values.adapter ?? null,
    dataset: values.dataset ?? null,
    datasetDir: values['dataset-dir'] ?? null,
    maxSamples: values['max-samples'] === undefined ? null : numberFlag(values['max-samples'], '--max-samples', 0, { min: 1, integer: true }),
    maxNewTokens: numberFlag(values['max-new-tokens'], '--max-new-tokens', 128, { min: 1, max: 4096, integer: true }),
    sampling: samplingFrom(values, usage),
    out: values.out ?? null,
  };
  const backend = await initBackend(backendFlag(values.backend));
  if (!values.json) reportBackend(backend);
  const controller = new AbortController();
  const stop = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping after this example, keeping what was scored (Ctrl-C again to quit at once)...\n');
    controller.abort();
  };
  process.on('SIGINT', stop);
  const tty = process.stderr.isTTY === true;
  let shown = -1;
  try {
    const result = await evaluateModels(
      request,
      (p) => {
        const text = `${p.target}: ${p.examplesDone}/${p.examples} · ${p.done}/${p.total} in all · ETA ${clock(p.etaSeconds)}`;
        // A terminal gets one line updated in place; a log file a line per tenth of the work and per model done.
        const tenth = Math.floor((10 * p.done) / p.total);
        if (tty) process.stderr.write(`\r\x1b[2K${text}${p.done === p.total ? '\n' : ''}`);
        else if (tenth !== shown || p.examplesDone === p.examples) process.stderr.write(`${text}\n`);
        shown = tenth;
      },
      controller.signal,
      (targets, examples) => process.stderr.write(`scoring ${targets.map((t) => t.name).join(', ')} on ${examples} examples\n`),
    );
    printResult(values.json, { ...result, examples: result.examples.length, backend: backend.name, metrics: result.targets.at(-1)?.metrics ?? null }, () => `${metricsTable(result.targets)}\n${result.best ? `best: ${result.best}\n` : ''}written to ${result.out}`);
  } finally {
    process.off('SIGINT', stop);
  }
}

function metricsTable(rows: ReadonlyArray<Pick<PredictComparison['targets'][number], 'name' | 'samples' | 'metrics'> & { partial?: boolean }>): string {
  const keys = ['predict_bleu-4', 'predict_rouge-1', 'predict_rouge-2', 'predict_rouge-l', 'predict_em', 'predict_f1'];
  const header = ['model', ...keys.map((k) => k.replace('predict_', '')), 'samples'];
  const lines = rows.map((r) => [r.name, ...keys.map((k) => (r.metrics?.[k] ?? NaN).toFixed(2)), `${r.samples}${r.partial ? ' (stopped)' : ''}`]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  return [header, ...lines].map((l) => l.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}
