/** What a finished run's health says about its result: a run whose loss diverged is not a plain success. */
import type { RunSummary } from '../../src-main/protocol/board-api';
import type { HealthKind } from '../../src-main/protocol/engine-types';

const DIVERGED: ReadonlySet<HealthKind> = new Set(['diverging', 'non-finite']);

/** The loss rose away from its start, or stopped being a number, at some point of the run. */
export function diverged(run: RunSummary): boolean {
  return run.health.some((kind) => DIVERGED.has(kind));
}

/** The badge a run gets: its status, except a completed run that diverged. */
export type RunBadge = RunSummary['status'] | 'diverged';

export function badgeOf(run: RunSummary): RunBadge {
  return run.status === 'completed' && diverged(run) ? 'diverged' : run.status;
}
