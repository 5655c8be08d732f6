import { initBackend } from '../../engine/backend/backend';
import { exportAdapter } from '../../engine/export/adapter-export';
import { mergeAndExport } from '../../engine/export/merge-export';
import { parseSize } from '../../engine/byte-sizes';
import { exportGguf } from '../../engine/export/gguf-export';
import { GGUF_TYPES, type ExportDtype, type ExportProgress, type GgufExportInfo, type GgufType } from '../../protocol/engine-types';
import { backendFlag, backendOption, jsonOption, parseCommandLine, required, UsageError } from '../args';
import { printResult, reportBackend } from '../output';
import { formatBytes } from '../../protocol/quantities';
import type { Command } from './command';

const usage = `usage: tuneboard export --model DIR --adapter DIR --out DIR [--format safetensors|gguf] [--dtype auto|bf16|fp16|fp32]
       [--gguf-type f32|f16|bf16|q8_0|q4_k_m] [--max-shard-size SIZE] [--overwrite] [--no-verify] [--adapter-only]
       [--backend auto|tensorflow|webgpu|wasm|cpu] [--json]
  Merges the LoRA adapter into the base model (W + scale·B·A) and writes a Hugging Face model folder
  (safetensors, sharded above SIZE such as 2GB or 500MB, tokenizer and chat template copied), then checks
  that the exported model gives the logits of base + adapter. --adapter-only writes the adapter alone (PEFT format).
  --format gguf writes one GGUF file for llama.cpp, Ollama and LM Studio (--gguf-type, default q4_k_m) with an
  Ollama Modelfile beside it, then loads it in llama.cpp and compares its generation with ours.`;

const DTYPES: readonly ExportDtype[] = ['auto', 'bf16', 'fp16', 'fp32'];

export const exportModel: Command = {
  summary: 'merge an adapter into its base model and save a full model folder (or the adapter alone)',
  usage,
  async run(argv) {
    const { values } = parseCommandLine(
      argv,
      {
        model: { type: 'string' },
        adapter: { type: 'string' },
        out: { type: 'string' },
        dtype: { type: 'string', default: 'auto' },
        'max-shard-size': { type: 'string', default: '5GB' },
        overwrite: { type: 'boolean', default: false },
        'no-verify': { type: 'boolean', default: false },
        'adapter-only': { type: 'boolean', default: false },
        format: { type: 'string', default: 'safetensors' },
        'gguf-type': { type: 'string', default: 'q4_k_m' },
        ...backendOption,
        ...jsonOption,
      },
      usage,
    );
    const model = required(values.model, '--model', usage);
    const adapter = required(values.adapter, '--adapter', usage);
    const out = required(values.out, '--out', usage);
    if (!DTYPES.includes(values.dtype as ExportDtype)) throw new UsageError(`--dtype must be one of ${DTYPES.join(', ')}, got "${values.dtype}"`, usage);
    if (values.format !== 'safetensors' && values.format !== 'gguf') throw new UsageError(`--format must be safetensors or gguf, got "${values.format}"`, usage);
    if (!(GGUF_TYPES as readonly string[]).includes(values['gguf-type'])) throw new UsageError(`--gguf-type must be one of ${GGUF_TYPES.join(', ')}, got "${values['gguf-type']}"`, usage);
    const maxShardBytes = parseSize(values['max-shard-size']);
    let result;
    if (values['adapter-only']) {
      result = await exportAdapter({ model, adapter, out, overwrite: values.overwrite });
    } else {
      const backend = await initBackend(backendFlag(values.backend));
      if (!values.json) reportBackend(backend);
      // A terminal gets one line updated in place; a log file a line per quarter of each phase.
      const tty = process.stderr.isTTY === true;
      let shown = -1;
      const common = { model, adapter, out, overwrite: values.overwrite, verify: !values['no-verify'] };
      const onProgress = (p: ExportProgress) => {
        const pct = Math.floor((100 * p.tensorsDone) / p.tensorsTotal);
        const bucket = tty ? pct : Math.floor(pct / 25);
        if (values.json || bucket === shown) return;
        shown = p.tensorsDone === p.tensorsTotal ? -1 : bucket;
        const text = `${p.phase} ${p.tensorsDone}/${p.tensorsTotal} ${p.phase === 'merging' ? 'tensors' : 'steps'} (${pct}%) · ${formatBytes(p.bytesWritten)} written`;
        process.stderr.write(tty ? `\r\x1b[2K${text}${p.tensorsDone === p.tensorsTotal ? '\n' : ''}` : `${text}\n`);
      };
      result =
        values.format === 'gguf'
          ? await exportGguf({ ...common, type: values['gguf-type'] as GgufType, onProgress })
          : await mergeAndExport({ ...common, dtype: values.dtype as ExportDtype, maxShardBytes, onProgress });
    }
    printResult(values.json, result, () =>
      [
        `wrote ${result.out} (${result.files.length} file(s), ${formatBytes(result.bytes)}${result.dtype ? `, ${result.dtype}` : ''}${result.gguf ? `, GGUF ${result.gguf.type}` : ''})`,
        `peak memory ${formatBytes(result.peakMemory.merge)} while merging${result.peakMemory.verify ? `, ${formatBytes(result.peakMemory.verify)} after verifying` : ''}`,
        ...(result.verification ? [`verified: max |logit difference| ${result.verification.maxAbsDiff.toExponential(2)} over ${result.verification.probeTokens} tokens (tolerance ${result.verification.tolerance.toExponential(2)})`] : []),
        ...(result.gguf ? ggufLines(result.gguf) : []),
        ...(result.note ? [`note: ${result.note}`] : []),
      ].join('\n'),
    );
  },
};

/** The llama.cpp check in words, and how to run the model in Ollama. */
function ggufLines(g: GgufExportInfo): string[] {
  const check = g.llamaCpp;
  const checked = !check
    ? 'not checked in llama.cpp (--no-verify)'
    : check.available
      ? `checked in llama.cpp: ${check.agree} of ${check.total} tokens agree${check.tokenizationMatches === false ? '; its tokenization of the prompt differs from ours' : ''}`
      : `not checked in llama.cpp: ${check.reason}`;
  return [checked, `run it in Ollama: ${g.ollamaCommand}`];
}
