/**
 * Merge and export: a full Hugging Face model folder with `W' = W + scale · B A` for every adapted layer.
 * It streams: one base tensor is read, merged, narrowed to the output dtype and written before the next,
 * so memory stays near one tensor whatever the model size. Everything is written to a temporary folder
 * beside `out`, verified, then renamed: a crash or a mismatch never leaves a model that looks whole.
 */
import { chmod, copyFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExportDtype, ExportProgress, ExportResult } from '../../protocol/engine-types';
import * as tf from '../backend/tf';
import { UserError } from '../errors';
import { writeFolderAtomic } from '../atomic-files';
import { peakResidentBytes } from '../backend/memory-probe';
import { configDtypeName, encode, type StorageDtype } from '../formats/dtype';
import { readModelConfig, type ModelConfig } from '../formats/model-config';
import { ModelWeights } from '../formats/model-weights';
import { planShards, writeShards, type PlannedTensor } from '../formats/sharded-weights';
import { peftKey, readAdapter, type AdapterTensor } from '../lora/adapter-files';
import { checkAdapterFits, isTarget } from '../lora/adapter-fit';
import { loraScale, type LoraConfig } from '../lora/lora-config';
import { LINEAR_LAYERS, checkWeights, inStateDictOrder, modelLayout, type ModelLayout } from '../model/model-layout';
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
  const config = await readModelConfig(o.model);
  const weights = await ModelWeights.open(o.model);
  try {
    const layout = modelLayout(config);
    checkWeights(layout, weights);
    const { config: lora, tensors: adapter } = await readAdapter(o.adapter, LINEAR_LAYERS);
    const merged = mergedModules(layout, lora, adapter);
    const dtype = o.dtype === 'auto' ? config.dtype : OUTPUT_DTYPE[o.dtype];
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
        const scale = loraScale(lora);
        const files = await writeShards(tmp, shards, async (t) => {
          if (o.signal?.aborted) throw new UserError('export cancelled');
          const module = merged.get(t.name);
          const bytes = module ? encode(t.dtype, await mergeWeight((await weights.read(t.name)) as Float32Array, adapter, module, scale)) : await unchangedTensor(weights, t);
          bytesWritten += bytes.byteLength;
          o.onProgress?.({ phase: 'merging', tensorsDone: ++tensorsDone, tensorsTotal: planned.length, bytesWritten, bytesTotal });
          return bytes;
        });
        await writeFile(join(tmp, 'config.json'), JSON.stringify(withDtype(config, dtype), null, 2) + '\n');
        for (const name of await readdir(o.model)) {
          if (name === 'config.json' || isWeightFile(name) || !(await stat(join(o.model, name))).isFile()) continue;
          await copyFile(join(o.model, name), join(tmp, name));
          // The export is the user's own model: writable whatever the base folder's permissions.
          await chmod(join(tmp, name), 0o644);
        }
        const mergePeak = peakResidentBytes();
        const verification = o.verify ? await verifyExport(o.model, o.adapter, tmp, dtype, (done, total) => o.onProgress?.({ phase: 'verifying', tensorsDone: done, tensorsTotal: total, bytesWritten, bytesTotal })) : null;
        if (verification && !verification.ok) {
          throw new UserError(`the exported model does not match base + adapter: logits differ by up to ${verification.maxAbsDiff.toExponential(2)} (tolerance ${verification.tolerance.toExponential(2)})`, 'Nothing was written. Please report this as a bug with the model and adapter used.');
        }
        const result: ExportResult = {
          out: o.out,
          kind: 'merged',
          baseModel: o.model,
          adapter: o.adapter,
          dtype: configDtypeName(dtype),
          files,
          bytes: bytesTotal,
          tensors: planned.length,
          mergedModules: merged.size,
          verification,
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

/** The base weights the adapter changes (weight name → module), after checking every adapter tensor fits the model. */
function mergedModules(layout: ModelLayout, lora: LoraConfig, adapter: ReadonlyMap<string, AdapterTensor>): Map<string, string> {
  const targets = layout.linears.filter((l) => isTarget(lora, l.module));
  checkAdapterFits(targets, lora, adapter);
  return new Map(targets.map((t) => [t.weight.name, t.module]));
}

/** A tensor the adapter does not touch: its stored bytes as they are when the dtype stays, else converted. */
async function unchangedTensor(weights: ModelWeights, t: PlannedTensor): Promise<Uint8Array> {
  if (weights.info(t.name).dtype === t.dtype) return weights.readBytes(t.name);
  return encode(t.dtype, await weights.read(t.name));
}

/** W + scale · (B A), in float32 as PEFT computes the delta on CPU; the caller rounds once to the output dtype. */
async function mergeWeight(w: Float32Array, adapter: ReadonlyMap<string, AdapterTensor>, module: string, scale: number): Promise<Float32Array> {
  const a = adapter.get(peftKey(module, 'lora_A'))!;
  const b = adapter.get(peftKey(module, 'lora_B'))!;
  const [out, r] = b.shape as [number, number];
  const inFeatures = a.shape[1]!;
  const merged = tf.tidy(() => tf.tensor2d(w, [out, inFeatures]).add(tf.matMul(tf.tensor2d(b.values, [out, r]), tf.tensor2d(a.values, [r, inFeatures])).mul(scale)));
  const values = (await merged.data()) as Float32Array;
  merged.dispose();
  return values;
}

/** config.json with its dtype key(s) set to the exported dtype, every other key as it was. */
function withDtype(config: ModelConfig, dtype: StorageDtype): Record<string, unknown> {
  const raw = { ...config.raw };
  const name = configDtypeName(dtype);
  if ('torch_dtype' in raw || !('dtype' in raw)) raw['torch_dtype'] = name;
  if ('dtype' in raw) raw['dtype'] = name;
  return raw;
}
