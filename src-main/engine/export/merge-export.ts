/**
 * Merge and export: a full Hugging Face model folder with `W' = W + scale · B A` for every adapted layer.
 * It streams: one base tensor is read, merged, narrowed to the output dtype and written before the next,
 * so memory stays near one tensor whatever the model size. Everything is written to a temporary folder
 * beside `out`, verified, then renamed: a crash or a mismatch never leaves a model that looks whole.
 */
import { chmod, copyFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExportDtype, ExportProgress, ExportResult } from '../../protocol/engine-types';
import { UserError } from '../errors';
import { writeFolderAtomic } from '../atomic-files';
import { peakResidentBytes } from '../backend/memory-probe';
import { configDtypeName, encode, type StorageDtype } from '../formats/dtype';
import type { ModelConfig } from '../formats/model-config';
import { planShards, writeShards, type PlannedTensor } from '../formats/sharded-weights';
import { inStateDictOrder } from '../model/model-layout';
import { MergedWeights } from './merged-weights';
import { checkExportFolder } from './export-folder';
import { writeExportRecord } from './export-record';
import { verifyExport } from './verify-export';

export interface MergeExportOptions {
  readonly model: string;
  readonly adapter: string;
  readonly out: string;
  readonly dtype: ExportDtype;
  readonly maxShardBytes: number;
  readonly overwrite: boolean;
  readonly verify: boolean;
  readonly onProgress?: (p: ExportProgress) => void;
  readonly signal?: AbortSignal;
}

const OUTPUT_DTYPE: Record<Exclude<ExportDtype, 'auto'>, StorageDtype> = { bf16: 'BF16', fp16: 'F16', fp32: 'F32' };

/** Weight files are written fresh; everything else in the model folder (tokenizer, chat template, generation config, license) is copied. */
const isWeightFile = (name: string) => /\.(safetensors|bin|pt|pth|h5|msgpack|gguf|onnx)$/.test(name) || name === 'model.safetensors.index.json' || name === 'pytorch_model.bin.index.json';

export async function mergeAndExport(o: MergeExportOptions): Promise<ExportResult> {
  const t0 = performance.now();
  checkExportFolder(o.out, o, o.overwrite);
  const weights = await MergedWeights.open(o.model, o.adapter);
  try {
    const { config, layout } = weights;
    // A 4-bit base has no 16-bit weights to keep: its merge is written as bfloat16.
    const dtype = o.dtype !== 'auto' ? OUTPUT_DTYPE[o.dtype] : weights.prequantized ? 'BF16' : config.dtype;
    // Floating-point tensors take the export dtype; integer buffers keep theirs.
    const planned: PlannedTensor[] = weights.names().map((name) => {
      const info = weights.info(name);
      return { name, dtype: info.dtype === 'I32' || info.dtype === 'I64' ? info.dtype : dtype, shape: info.shape };
    });
    const shards = planShards(inStateDictOrder(layout, planned), o.maxShardBytes);
    const bytesTotal = shards.reduce((a, s) => a + s.bytes, 0);
    return await writeFolderAtomic(
      o.out,
      async (tmp) => {
        let tensorsDone = 0;
        let bytesWritten = 0;
        const files = await writeShards(tmp, shards, async (t) => {
          if (o.signal?.aborted) throw new UserError('export cancelled');
          // A tensor the adapter does not touch keeps its stored bytes when its dtype stays.
          const bytes = !weights.merged.has(t.name) && weights.info(t.name).dtype === t.dtype ? await weights.base.readBytes(t.name) : encode(t.dtype, await weights.read(t.name));
          bytesWritten += bytes.byteLength;
          o.onProgress?.({ phase: 'merging', tensorsDone: ++tensorsDone, tensorsTotal: planned.length, bytesWritten, bytesTotal });
          return bytes;
        });
        await writeFile(join(tmp, 'config.json'), JSON.stringify(withDtype(config, dtype), null, 2) + '\n');
        await copyModelFiles(o.model, tmp);
        const mergePeak = peakResidentBytes();
        const verification = o.verify ? await verifyExport(o.model, o.adapter, tmp, dtype, (done, total) => o.onProgress?.({ phase: 'verifying', tensorsDone: done, tensorsTotal: total, bytesWritten, bytesTotal })) : null;
        if (verification && !verification.ok) {
          throw new UserError(`the exported model does not match base + adapter: logits differ by up to ${verification.maxAbsDiff.toExponential(2)} (tolerance ${verification.tolerance.toExponential(2)})`, 'Nothing was written. Please report this as a bug with the model and adapter used.');
        }
        const result: ExportResult = {
          out: o.out,
          kind: 'merged',
          format: 'safetensors',
          baseModel: o.model,
          adapter: o.adapter,
          dtype: configDtypeName(dtype),
          files,
          bytes: bytesTotal,
          tensors: planned.length,
          mergedModules: weights.merged.size,
          verification,
          gguf: null,
          note: prequantizedNote(weights, dtype),
          seconds: (performance.now() - t0) / 1000,
          peakMemory: { merge: mergePeak, verify: verification ? peakResidentBytes() : null },
        };
        await writeExportRecord(tmp, result);
        return result;
      },
      // checkExportFolder allowed replacing what is there: nothing, an empty folder, or an earlier export.
      { overwrite: true },
    );
  } finally {
    await weights.close();
  }
}

/** Everything of the model folder but its weights and config.json (tokenizer, chat template, generation config, license). */
export async function copyModelFiles(model: string, to: string): Promise<void> {
  for (const name of await readdir(model)) {
    if (name === 'config.json' || isWeightFile(name) || !(await stat(join(model, name))).isFile()) continue;
    await copyFile(join(model, name), join(to, name));
    // The export is the user's own model: writable whatever the base folder's permissions.
    await chmod(join(to, name), 0o644);
  }
}

/** Said in the result and export.json when the base was a 4-bit checkpoint. */
export function prequantizedNote(weights: MergedWeights, dtype: StorageDtype | null): string | null {
  if (!weights.prequantized) return null;
  return `merged into the dequantized 4-bit (NF4) weights of ${weights.dir}${dtype ? `, written as ${configDtypeName(dtype)}` : ''}; merging into the original 16-bit model gives the exact weights`;
}

/** config.json with its dtype key(s) set to the exported dtype and no quantization left, every other key as it was. */
function withDtype(config: ModelConfig, dtype: StorageDtype): Record<string, unknown> {
  const { quantization_config: _, ...raw }: Record<string, unknown> = { ...config.raw };
  const name = configDtypeName(dtype);
  if ('torch_dtype' in raw || !('dtype' in raw)) raw['torch_dtype'] = name;
  if ('dtype' in raw) raw['dtype'] = name;
  return raw;
}
