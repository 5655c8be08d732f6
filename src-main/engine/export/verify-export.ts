/**
 * The check after an export: the exported folder, loaded by the engine, must give the same logits as
 * base + adapter on a short probe. One model is in memory at a time. Tolerances follow the output dtype
 * (rounding weights to bf16 moves logits by far more than float32 accumulation order does), relative to
 * the largest logit.
 */
import type { ExportVerification } from '../../protocol/engine-types';
import * as tf from '../backend/tf';
import type { StorageDtype } from '../formats/dtype';
import { LoraAdapter } from '../lora/lora-adapter';
import { loadModel, type LoadedModel } from '../model/load-model';

const RELATIVE_TOLERANCE: Record<StorageDtype, number> = { F32: 1e-4, F16: 5e-3, BF16: 3e-2, I32: 0, I64: 0 };
const PROBE = 'Explain in one sentence what a LoRA adapter is.';
const PROBE_TOKENS = 32;

export async function verifyExport(baseDir: string, adapterDir: string, exportedDir: string, dtype: StorageDtype, onProgress?: (done: number, total: number) => void): Promise<ExportVerification> {
  let probe: number[] = [];
  const reference = await withModel(baseDir, async (loaded) => {
    probe = probeIds(loaded);
    const adapter = await LoraAdapter.load(loaded.model, adapterDir);
    try {
      return await logits(loaded, probe);
    } finally {
      adapter.detach();
    }
  }, (d, t) => onProgress?.(d, 2 * t));
  const exported = await withModel(exportedDir, (loaded) => logits(loaded, probe), (d, t) => onProgress?.(t + d, 2 * t));
  let maxAbsDiff = 0;
  let scale = 1;
  for (let i = 0; i < reference.length; i++) {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(reference[i]! - exported[i]!));
    scale = Math.max(scale, Math.abs(reference[i]!));
  }
  const tolerance = RELATIVE_TOLERANCE[dtype] * scale;
  return { maxAbsDiff, tolerance, probeTokens: probe.length, ok: maxAbsDiff <= tolerance };
}

function probeIds(loaded: LoadedModel): number[] {
  const t = loaded.tokenizer;
  const ids = t.hasChatTemplate ? t.encodeChat([{ role: 'user', content: PROBE }], true) : t.encode(PROBE, true);
  return ids.slice(0, PROBE_TOKENS);
}

async function logits(loaded: LoadedModel, ids: number[]): Promise<Float32Array> {
  const out = tf.tidy(() => loaded.model.forward(tf.tensor2d([ids], [1, ids.length], 'int32')));
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return values;
}

async function withModel<T>(dir: string, use: (loaded: LoadedModel) => Promise<T>, onProgress: (done: number, total: number) => void): Promise<T> {
  const loaded = await loadModel(dir, onProgress);
  try {
    return await use(loaded);
  } finally {
    loaded.dispose();
  }
}
