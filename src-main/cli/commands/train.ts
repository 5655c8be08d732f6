import { memoryLimitOf } from '../../engine/backend/memory-limit';
import { UserError } from '../../engine/errors';
import { describeFix } from '../../engine/forecast/plan-text';
import { OutOfMemoryFailure } from '../../engine/jobs/out-of-memory-report';
import { runTrainJob } from '../../engine/jobs/train-job';
import { parseOverrides, readTrainConfig } from '../../engine/train/config-file';
import { fixBytes, type PlanChanges } from '../../protocol/run-plan';
import { backendFlag, backendOption, jsonOption, parseCommandLine, UsageError } from '../args';
import { printResult } from '../output';
import { clock, progressPrinter } from '../progress';
import type { Command } from './command';

const usage = `usage: tuneboard train CONFIG.yaml [key=value ...] [--backend auto|tensorflow|webgpu|wasm|cpu] [--memory-limit SIZE] [--json]
  CONFIG.yaml uses LLaMA-Factory's key names (model_name_or_path, dataset, output_dir, lora_rank, learning_rate, ...).
  key=value pairs override the file, e.g. max_steps=50 learning_rate=1e-4 resume_from_checkpoint=true.
  --memory-limit 8GB keeps the tensors of the run under 8 GB (a GPU shared with other programs); a step that would
  need more fails as out of memory (TUNEBOARD_MEMORY_LIMIT sets the same).
  Ctrl-C stops the run after the current step and saves a checkpoint to resume from. A run out of memory keeps its
  last checkpoint and prints the settings to resume it with.`;

export const train: Command = {
  summary: 'train a LoRA adapter from a YAML config (LLaMA-Factory keys)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, { ...backendOption, ...jsonOption, 'memory-limit': { type: 'string' } }, usage);
    const [configPath, ...overrides] = positionals;
    if (!configPath) throw new UsageError('give the config file', usage);
    const memoryLimit = values['memory-limit'] !== undefined ? memoryLimitOf(values['memory-limit'], '--memory-limit') : undefined;
    const { config, ignored } = await readTrainConfig(configPath, overrides);
    const controller = new AbortController();
    const stop = () => {
      if (controller.signal.aborted) process.exit(130);
      process.stderr.write('\nstopping after this step (Ctrl-C again to quit at once)...\n');
      controller.abort();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const result = await runTrainJob(config, { backend: backendFlag(values.backend), emit: progressPrinter(), signal: controller.signal, ignoredKeys: ignored, memoryLimit }).catch((err: unknown) => {
      throw err instanceof OutOfMemoryFailure ? withCommands(err, [configPath, ...overrides], argv.filter((a) => !positionals.includes(a))) : err;
    });
    printResult(values.json, result, () =>
      result.status === 'completed'
        ? `done: ${result.steps} steps in ${clock(result.seconds)}, final loss ${result.finalLoss?.toFixed(4) ?? 'n/a (no step had a trained token)'}${result.evalLoss != null ? `, eval loss ${result.evalLoss.toFixed(4)}` : ''}\nadapter: ${result.outputDir}`
        : `stopped at step ${result.steps}; resume with: tuneboard train ${configPath} resume_from_checkpoint=true`,
    );
  },
};

/** The fixes of a run out of memory as command lines: this one, its overrides replaced by the fix's, resuming where it can. */
function withCommands(failure: OutOfMemoryFailure, [configPath, ...overrides]: string[], flags: string[]): UserError {
  const { fixes } = failure.outOfMemory;
  if (!fixes.length) return failure;
  const command = (changes: PlanChanges) => {
    const set = { ...(failure.resumable ? { resume_from_checkpoint: true } : {}), ...changes };
    const kept = overrides.filter((pair) => !Object.keys(parseOverrides([pair])).some((key) => key in set));
    return ['tuneboard', 'train', configPath!, ...kept, ...Object.entries(set).map(([k, v]) => `${k}=${String(v)}`), ...flags].map(shellWord).join(' ');
  };
  const how = failure.resumable ? 'Resume from the last checkpoint' : 'Start the run again';
  return new UserError(failure.message, [`${how} with one of these (those that fit first; the forecast after #):`, ...fixes.map((f) => `  ${command(f.changes)}  # ${describeFix(f, fixBytes(failure.outOfMemory, f))}`)].join('\n'));
}

/** A word as a shell reads it back: quoted when it holds anything but plain characters. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
