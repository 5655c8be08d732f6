/**
 * The lines of a run's log the host builds from training events, as data: the board says them in its own
 * language; train.log and the `line` beside each keep the English. Lines from the engine itself (warnings) and
 * from train.log of past runs have no entry and are shown as written.
 */
import type { HealthReading } from './engine-types';

export type RunLogEntry =
  | { readonly code: 'backend'; readonly backend: string; readonly device: string }
  | {
      readonly code: 'started';
      readonly parameters: number;
      readonly trainExamples: number;
      readonly evalExamples: number;
      readonly totalSteps: number;
      readonly startStep: number;
    }
  /** loss: null where it is NaN (JSON has no NaN). */
  | { readonly code: 'step'; readonly step: number; readonly totalSteps: number; readonly loss: number | null; readonly lr: number; readonly tokensPerSecond: number }
  | { readonly code: 'eval'; readonly step: number; readonly evalLoss: number | null }
  | { readonly code: 'checkpoint'; readonly step: number; readonly path: string }
  | { readonly code: 'health'; readonly reading: HealthReading }
  /** checkpoint: whether stopping saves one (not when no step was taken yet). */
  | { readonly code: 'stopping'; readonly checkpoint: boolean }
  | { readonly code: 'resuming' }
  | { readonly code: 'completed'; readonly steps: number }
  /** resumable: whether a checkpoint was saved (none when stopped before the first step). */
  | { readonly code: 'stopped'; readonly step: number; readonly resumable: boolean }
  | { readonly code: 'failed'; readonly error: string };

/** A log line as the board receives it: the stamped English line, and its entry when the host built it from an event. */
export interface RunLogLine {
  readonly line: string;
  readonly entry: RunLogEntry | null;
}
