import { runTrainJob } from '../../engine/jobs/train-job';
import { readTrainConfig } from '../../engine/train/config-file';
import { backendFlag, backendOption, jsonOption, parseCommandLine, UsageError } from '../args';
import { printResult } from '../output';
import { clock, progressPrinter } from '../progress';
import type { Command } from './command';

const usage = `usage: tuneboard train CONFIG.yaml [key=value ...] [--backend auto|tensorflow|webgpu|wasm|cpu] [--json]
  CONFIG.yaml uses LLaMA-Factory's key names (model_name_or_path, dataset, output_dir, lora_rank, learning_rate, ...).
  key=value pairs override the file, e.g. max_steps=50 learning_rate=1e-4 resume_from_checkpoint=true.
  Ctrl-C stops the run after the current step and saves a checkpoint to resume from.`;

export const train: Command = {
  summary: 'train a LoRA adapter from a YAML config (LLaMA-Factory keys)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, { ...backendOption, ...jsonOption }, usage);
    const [configPath, ...overrides] = positionals;
    if (!configPath) throw new UsageError('give the config file', usage);
    const { config, ignored } = await readTrainConfig(configPath, overrides);
    const controller = new AbortController();
    const stop = () => {
      if (controller.signal.aborted) process.exit(130);
      process.stderr.write('\nstopping after this step (Ctrl-C again to quit at once)...\n');
      controller.abort();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const result = await runTrainJob(config, { backend: backendFlag(values.backend), emit: progressPrinter(), signal: controller.signal, ignoredKeys: ignored });
    printResult(values.json, result, () =>
      result.status === 'completed'
        ? `done: ${result.steps} steps in ${clock(result.seconds)}, final loss ${result.finalLoss?.toFixed(4) ?? 'n/a (no step had a trained token)'}${result.evalLoss != null ? `, eval loss ${result.evalLoss.toFixed(4)}` : ''}\nadapter: ${result.outputDir}`
        : `stopped at step ${result.steps}; resume with: tuneboard train ${configPath} resume_from_checkpoint=true`,
    );
  },
};
