import { initBackend } from '../../engine/backend/backend';
import { peakResidentBytes } from '../../engine/backend/memory-probe';
import { runEvalJob } from '../../engine/jobs/eval-job';
import { loadModel } from '../../engine/model/load-model';
import { backendFlag, backendOption, jsonOption, numberFlag, parseCommandLine, required } from '../args';
import { printResult, reportBackend } from '../output';
import type { Command } from './command';

const usage = `usage: tuneboard eval --model DIR [--adapter DIR] --dataset FILE|KEY [--dataset-dir DIR] [--cutoff-len N] [--batch-size N]
       [--backend auto|tensorflow|webgpu|wasm|cpu] [--json]
  Loss and perplexity on the assistant turns of every usable example.`;

export const evaluate: Command = {
  summary: 'loss and perplexity of a model (and adapter) on a dataset',
  usage,
  async run(argv) {
    const { values } = parseCommandLine(
      argv,
      { model: { type: 'string' }, adapter: { type: 'string' }, dataset: { type: 'string' }, 'dataset-dir': { type: 'string' }, 'cutoff-len': { type: 'string' }, 'batch-size': { type: 'string' }, ...backendOption, ...jsonOption },
      usage,
    );
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
