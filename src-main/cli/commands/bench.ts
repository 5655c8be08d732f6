import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '../../engine/backend/backend';
import { runBenchmark, type BenchResult } from '../../engine/bench/benchmark';
import type { ProgramTime } from '../../engine/bench/gpu-usage';
import { changedProducts, tuningSummary, UNTUNED_NOTE, type TuningReport } from '../../engine/ops/gemm/gemm-tuning';
import { cutShape, SHAPE_NAMES, type ShapeName } from '../../engine/bench/model-shapes';
import { writeRandomModel } from '../../engine/bench/random-model';
import { parseSize } from '../../engine/byte-sizes';
import { isGpuBackend } from '../../protocol/engine-types';
import { demoPaths } from '../../engine/resources';
import { backendFlag, backendOption, jsonOption, numberFlag, parseCommandLine, UsageError } from '../args';
import { printResult, reportBackend } from '../output';
import { storageOfBits, type WeightStorage } from '../../engine/model/weight-storage';
import { formatBytes, formatCount } from '../../protocol/quantities';
import type { Command } from './command';

const usage = `usage: tuneboard bench [--model DIR | --shape ${SHAPE_NAMES.join('|')}] [--backend auto|tensorflow|webgpu|wasm|cpu]
       [--layers N] [--vocab N] [--batch N] [--seq N] [--steps N] [--warmup N] [--rank R] [--gradient-checkpointing]
       [--quantization-bit 4|16|32] [--no-tune] [--profile] [--cpu-profile FILE] [--save DIR] [--json]
       tuneboard bench --shape NAME --write-model DIR [--max-shard-size SIZE]
  Times LoRA training steps (rank R on all seven projections, AdamW) on a model folder or on random weights of a
  real model's shape, after warm-up steps. --layers and --vocab cut a shape down (the cost of one layer is the
  difference between two runs; a smaller vocabulary runs faster on a software GPU). --quantization-bit keeps the
  base weights in float32 (32), 16-bit as stored (16; a float32 model stays float32) or with the seven projections
  quantized to NF4 (4); by default 16-bit on webgpu, float32 elsewhere. --profile adds one step's time by GPU program (webgpu) or by tfjs kernel, --cpu-profile writes a V8 CPU
  profile of the timed steps (open it in Chrome DevTools) to see what the JavaScript side spends, --save writes the result as
  JSON (with this command line) into DIR. --write-model writes the random-weight model of a shape to DIR instead.
  On webgpu the matrix products of the first warm-up step are tuned for the GPU before the timed steps (each
  product's candidate tile shapes, splits of k and buffers timed, then the fastest's tile depths and load orders,
  the fastest kept); --no-tune keeps the built-in rule.`;

export const bench: Command = {
  summary: 'measure training speed and memory (tokens/s, step time split, peak memory)',
  usage,
  async run(argv) {
    const { values } = parseCommandLine(
      argv,
      {
        model: { type: 'string' },
        shape: { type: 'string' },
        layers: { type: 'string' },
        vocab: { type: 'string' },
        batch: { type: 'string' },
        seq: { type: 'string' },
        steps: { type: 'string' },
        warmup: { type: 'string' },
        rank: { type: 'string' },
        profile: { type: 'boolean', default: false },
        'cpu-profile': { type: 'string' },
        'gradient-checkpointing': { type: 'boolean', default: false },
        'quantization-bit': { type: 'string' },
        'no-tune': { type: 'boolean', default: false },
        save: { type: 'string' },
        'write-model': { type: 'string' },
        'max-shard-size': { type: 'string', default: '5GB' },
        ...backendOption,
        ...jsonOption,
      },
      usage,
    );
    if (values.model && values.shape) throw new UsageError('give --model or --shape, not both', usage);
    const shape = (values.shape ?? (values.model ? undefined : 'demo')) as ShapeName | undefined;
    if (shape !== undefined && !SHAPE_NAMES.includes(shape)) throw new UsageError(`--shape must be one of ${SHAPE_NAMES.join(', ')}, got "${shape}"`, usage);
    if (values.model && (values.layers || values.vocab)) throw new UsageError('--layers and --vocab cut down a --shape, not a --model folder', usage);
    const cut = {
      layers: values.layers === undefined ? null : numberFlag(values.layers, '--layers', 0, { min: 1, integer: true }),
      vocab: values.vocab === undefined ? null : numberFlag(values.vocab, '--vocab', 0, { min: 2, integer: true }),
    };
    if (values['write-model']) {
      if (!shape) throw new UsageError('--write-model needs --shape', usage);
      const written = await writeRandomModel({ shape: cutShape(shape, cut).config, out: values['write-model'], tokenizerDir: demoPaths().demoModel, maxShardBytes: parseSize(values['max-shard-size']), seed: 1 });
      printResult(values.json, { out: values['write-model'], ...written }, () => `wrote ${values['write-model']}: ${formatBytes(written.bytes)} in ${written.files} file(s)`);
      return;
    }
    // Every flag is checked before a backend starts: a typo should not wait for (or print) GPU probing.
    const sizes = {
      batch: numberFlag(values.batch, '--batch', 4, { min: 1, integer: true }),
      seq: numberFlag(values.seq, '--seq', 128, { min: 2, integer: true }),
      steps: numberFlag(values.steps, '--steps', 5, { min: 1, integer: true }),
      warmup: numberFlag(values.warmup, '--warmup', 2, { min: 0, integer: true }),
      rank: numberFlag(values.rank, '--rank', 16, { min: 1, integer: true }),
    };
    const storage = storageFlag(values['quantization-bit']);
    const backend = await initBackend(backendFlag(values.backend));
    if (!values.json) reportBackend(backend);
    const result = await runBenchmark(
      {
        model: values.model ? { kind: 'dir', dir: values.model } : { kind: 'shape', name: shape!, cut },
        ...sizes,
        profile: values.profile,
        cpuProfile: values['cpu-profile'] ?? null,
        gradientCheckpointing: values['gradient-checkpointing'],
        storage,
        tune: !values['no-tune'],
        onStep: values.json ? undefined : (done, total) => process.stderr.write(`\rstep ${done}/${total}${done === total ? '\n' : ''}`),
      },
      backend,
    );
    const record = { command: `tuneboard bench ${argv.join(' ')}`, ...result };
    if (values.save) {
      await mkdir(values.save, { recursive: true });
      const label = values.model ? 'model' : cutShape(shape!, cut).label;
      const name = [result.date.slice(0, 10), label.replace(/[^\w.-]+/g, '_'), result.backend, `b${result.batch}x${result.seq}`, ...(result.gradientCheckpointing ? ['gc'] : []), ...(values['quantization-bit'] ? [`q${values['quantization-bit']}`] : [])];
      const file = join(values.save, `${name.join('-')}.json`);
      await writeFile(file, JSON.stringify(record, null, 2) + '\n');
      process.stderr.write(`saved ${file}\n`);
    }
    printResult(values.json, record, () => human(result, !values['no-tune'] && sizes.warmup > 0));
  },
};

/** --quantization-bit as a weight storage: 'auto' when not given. */
function storageFlag(value: string | undefined): WeightStorage {
  if (value === undefined) return 'auto';
  if (value !== '4' && value !== '16' && value !== '32') throw new UsageError(`--quantization-bit must be 4, 16 or 32, got "${value}"`, usage);
  return storageOfBits(Number(value) as 4 | 16 | 32);
}

/** `tune`: tuning was due (no --no-tune, a warm-up step to learn the products from). */
function human(r: BenchResult, tune: boolean): string {
  const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;
  return [
    `${r.model}: ${r.shape.layers} layers, hidden ${r.shape.hidden}, vocab ${r.shape.vocab}, ${formatCount(r.shape.parameters)} parameters`,
    `LoRA r=${r.rank} on all projections: ${formatCount(r.trainableParameters)} trainable; batch ${r.batch} x ${r.seq} tokens${r.gradientCheckpointing ? '; gradient checkpointing' : ''}`,
    `${Math.round(r.tokensPerSecond)} tokens/s · step ${ms(r.stepSeconds.total)} (forward ${ms(r.stepSeconds.forward)}, backward ${ms(r.stepSeconds.backward)}, optimizer ${ms(r.stepSeconds.optimizer)})`,
    ...(isGpuBackend(r.backend)
      ? [
          `JavaScript queued the step in ${ms(r.queueSeconds)} of its ${ms(r.stepSeconds.total)} (when the two are close, the GPU waits on JavaScript)` +
            (r.dispatchesPerStep === null ? '' : `; ${Math.round(r.dispatchesPerStep)} GPU programs a step`),
        ]
      : []),
    `base weights ${formatBytes(r.baseBytes.total)} (${r.storage} storage), of which the projections ${formatBytes(r.baseBytes.projections)}`,
    `peak memory ${formatBytes(r.peakMemory.bytes)} (${r.peakMemory.source})`,
    r.peakAllocatedBytes === null
      ? `tensors ${formatBytes(r.peakTensorBytes)} at most`
      : `tensors ${formatBytes(r.peakTensorBytes)} at most (tfjs buffers in use); ${formatBytes(r.peakAllocatedBytes)} with tfjs's pool of freed buffers`,
    `forecast (tuneboard plan): tensors ${formatBytes(r.forecast.tensorPeak)} at the ${r.forecast.moment} (${((100 * r.forecast.tensorPeak) / r.peakTensorBytes).toFixed(0)}% of the measured), ${formatBytes(r.forecast.total)} in all`,
    ...(r.tuning ? tuningLines(r.tuning, r.profile !== null) : r.backend === 'webgpu' && tune ? [UNTUNED_NOTE] : []),
    ...(r.profile ? profileLines(r.profile, r.backend === 'webgpu' ? 'GPU time by program' : 'time by tfjs kernel') : []),
  ].join('\n');
}

/** What tuning changed, in a line; with the profile, each product whose plan changed, largest saving first. */
function tuningLines(t: TuningReport, detailed: boolean): string[] {
  const line = (p: TuningReport['products'][number]) => `  ${p.product}: ${p.rule} ${p.ruleMs.toFixed(2)} ms → ${p.chosen} ${p.chosenMs.toFixed(2)} ms (x${p.calls} a step, ${p.candidates} candidates)`;
  return [tuningSummary(t), ...(detailed ? changedProducts(t).map(line) : [])];
}

/** The profile's largest entries, then the rest in one line and the total (the JSON keeps every entry). */
function profileLines(profile: readonly ProgramTime[], what: string): string[] {
  const shown = 25;
  const total = profile.reduce((a, k) => a + k.ms, 0);
  const rest = profile.slice(shown);
  const line = (ms: number, calls: number, name: string) => `  ${ms.toFixed(1).padStart(8)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}% ${String(calls).padStart(5)} calls  ${name}`;
  // By kind of program (our kernel's key up to its variant, or tfjs's class): where the time goes, in one line.
  const kinds = new Map<string, number>();
  for (const k of profile) {
    const kind = k.kernel.split(/[_(]/)[0]!;
    kinds.set(kind, (kinds.get(kind) ?? 0) + k.ms);
  }
  const byKind = [...kinds].sort((a, b) => b[1] - a[1]).map(([kind, ms]) => `${kind} ${((100 * ms) / total).toFixed(1)}%`);
  return [
    `${what} (one step, ${total.toFixed(1)} ms in all): ${byKind.join(' · ')}`,
    ...profile.slice(0, shown).map((k) => line(k.ms, k.calls, k.kernel)),
    ...(rest.length ? [line(rest.reduce((a, k) => a + k.ms, 0), rest.reduce((a, k) => a + k.calls, 0), `${rest.length} others`)] : []),
  ];
}
