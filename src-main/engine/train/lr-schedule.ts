/**
 * Learning-rate schedules as transformers' get_scheduler computes them. `step` counts optimizer steps
 * already taken (0 for the first), so with warmup the first step uses lr 0.
 */
import type { SCHEDULER_TYPES } from '../../protocol/train-config';

type SchedulerType = (typeof SCHEDULER_TYPES)[number];

export interface Schedule {
  readonly type: SchedulerType;
  readonly baseLr: number;
  readonly totalSteps: number;
  readonly warmupSteps: number;
}

export function learningRate(s: Schedule, step: number): number {
  return s.baseLr * multiplier(s, step);
}

function multiplier({ type, totalSteps, warmupSteps }: Schedule, step: number): number {
  if (type === 'constant') return 1;
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  if (type === 'constant_with_warmup') return 1;
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  if (type === 'linear') return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/** transformers: warmup_steps wins when set; else ceil(warmup_ratio · total). */
export function warmupStepsOf(totalSteps: number, warmupSteps: number, warmupRatio: number): number {
  return warmupSteps > 0 ? warmupSteps : Math.ceil(totalSteps * warmupRatio);
}
