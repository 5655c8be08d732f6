/**
 * A checkpoint, `checkpoints/step-N/`: the adapter in PEFT format, the optimizer's moments, and the
 * trainer state (the step, which fixes the data position, learning rate and dropout masks). Written to a
 * temporary folder and renamed, so a crash mid-save never leaves a checkpoint that looks whole.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors';
import { writeFolderAtomic } from '../formats/atomic';
import { encode } from '../formats/dtype';
import { SafetensorsFile, writeSafetensors } from '../formats/safetensors';
import { writeAdapter, type AdapterTensor } from '../lora/adapter-files';
import type { LoraConfig } from '../lora/lora-config';
import * as tf from '../backend/tf';

export const CHECKPOINTS_DIR = 'checkpoints';
const OPTIMIZER_FILE = 'optimizer.safetensors';
const STATE_FILE = 'trainer_state.json';

export interface TrainerState {
  /** Optimizer steps completed. */
  readonly step: number;
  readonly totalSteps: number;
  readonly epoch: number;
  readonly seed: number;
}

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

/** Checkpoint folders of a run, oldest first. */
export async function listCheckpoints(outputDir: string): Promise<Array<{ step: number; dir: string }>> {
  const root = join(outputDir, CHECKPOINTS_DIR);
  if (!existsSync(root)) return [];
  return (await readdir(root))
    .map((name) => ({ name, m: /^step-(\d+)$/.exec(name) }))
    .filter((e) => e.m && existsSync(join(root, e.name, STATE_FILE)))
    .map((e) => ({ step: Number(e.m![1]), dir: join(root, e.name) }))
    .sort((a, b) => a.step - b.step);
}

/** `resume_from_checkpoint: true` takes the run's latest checkpoint; a path takes that one. */
export async function findCheckpoint(outputDir: string, resume: true | string): Promise<string> {
  if (typeof resume === 'string') {
    if (!existsSync(join(resume, STATE_FILE))) throw new UserError(`resume_from_checkpoint: ${resume} is not a TuneBoard checkpoint (no ${STATE_FILE})`);
    return resume;
  }
  const all = await listCheckpoints(outputDir);
  if (!all.length) throw new UserError(`resume_from_checkpoint: ${outputDir} has no checkpoint to resume from`, 'Start the run without resume_from_checkpoint, or point it at a checkpoint folder.');
  return all[all.length - 1]!.dir;
}

export async function loadCheckpoint(dir: string): Promise<SavedCheckpoint> {
  const state = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as TrainerState;
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
