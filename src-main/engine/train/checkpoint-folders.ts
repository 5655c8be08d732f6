/**
 * Where a run's checkpoints are (`checkpoints/step-N/`, complete once trainer_state.json is there) and which one a
 * resume takes. Plain files, no tfjs: the host lists checkpoints with it too.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors';

export const CHECKPOINTS_DIR = 'checkpoints';
export const STATE_FILE = 'trainer_state.json';

export interface TrainerState {
  /** Optimizer steps completed. */
  readonly step: number;
  readonly totalSteps: number;
  readonly epoch: number;
  readonly seed: number;
  /** Seconds of training up to this step, across resumes (absent in checkpoints of older versions). */
  readonly trainSeconds?: number;
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
