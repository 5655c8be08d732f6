/**
 * A checkpoint, `checkpoints/step-N/`: the adapter in PEFT format, the optimizer's moments, and the
 * trainer state (the step, which fixes the data position, learning rate and dropout masks). Written to a
 * temporary folder and renamed, so a crash mid-save never leaves a checkpoint that looks whole.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFolderAtomic } from '../atomic-files';
import { encode } from '../formats/dtype';
import { SafetensorsFile, writeSafetensors } from '../formats/safetensors';
import { writeAdapter, type AdapterTensor } from '../lora/adapter-files';
import type { LoraConfig } from '../lora/lora-config';
import * as tf from '../backend/tf';
import { readJsonFile } from '../text-files';
import { CHECKPOINTS_DIR, STATE_FILE, listCheckpoints, type TrainerState } from './checkpoint-folders';

const OPTIMIZER_FILE = 'optimizer.safetensors';

export interface SavedCheckpoint {
  readonly dir: string;
  readonly state: TrainerState;
  readonly optimizerM: Map<string, Float32Array>;
  readonly optimizerV: Map<string, Float32Array>;
}

export async function saveCheckpoint(
  outputDir: string,
  state: TrainerState,
  lora: LoraConfig,
  adapter: ReadonlyArray<{ key: string } & AdapterTensor>,
  optimizer: { m: ReadonlyMap<string, tf.Tensor>; v: ReadonlyMap<string, tf.Tensor> },
  keepLast: number | null,
): Promise<string> {
  const dir = join(outputDir, CHECKPOINTS_DIR, `step-${state.step}`);
  const moments: Array<{ name: string; dtype: 'F32'; shape: readonly number[]; bytes: Uint8Array }> = [];
  for (const [prefix, map] of [['m', optimizer.m], ['v', optimizer.v]] as const) {
    for (const [key, t] of map) moments.push({ name: `${prefix}.${key}`, dtype: 'F32', shape: t.shape, bytes: encode('F32', (await t.data()) as Float32Array) });
    tf.dispose([...map.values()]);
  }
  await writeFolderAtomic(
    dir,
    async (tmp) => {
      await writeAdapter(tmp, lora, adapter);
      await writeSafetensors(join(tmp, OPTIMIZER_FILE), moments, { format: 'pt' });
      await writeFile(join(tmp, STATE_FILE), JSON.stringify(state, null, 2) + '\n');
    },
    { overwrite: true },
  );
  if (keepLast) await pruneCheckpoints(outputDir, keepLast);
  return dir;
}

export async function loadCheckpoint(dir: string): Promise<SavedCheckpoint> {
  const state = (await readJsonFile(join(dir, STATE_FILE))) as TrainerState;
  const file = await SafetensorsFile.open(join(dir, OPTIMIZER_FILE));
  const optimizerM = new Map<string, Float32Array>();
  const optimizerV = new Map<string, Float32Array>();
  try {
    for (const name of file.tensors.keys()) {
      const values = (await file.read(name)) as Float32Array;
      if (name.startsWith('m.')) optimizerM.set(name.slice(2), values);
      else if (name.startsWith('v.')) optimizerV.set(name.slice(2), values);
    }
  } finally {
    await file.close();
  }
  return { dir, state, optimizerM, optimizerV };
}

async function pruneCheckpoints(outputDir: string, keepLast: number): Promise<void> {
  const all = await listCheckpoints(outputDir);
  for (const old of all.slice(0, Math.max(0, all.length - keepLast))) await rm(old.dir, { recursive: true, force: true });
}
