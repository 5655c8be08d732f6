/** A line of a run's log in the chosen language, from what the host says it is (run-log.ts); the English line where it says nothing. */
import type { RunLogEntry, RunLogLine } from '../../src-main/protocol/run-log';
import { formatLoss } from '../../src-main/protocol/quantities';
import { describeHealth } from './health-text';
import type { Translate } from './locale-state.svelte';

export function describeLogLine({ line, entry }: RunLogLine, t: Translate): string {
  if (!entry) return line;
  // Lines are stamped "<ISO time> <text>" by the host.
  const space = line.indexOf(' ');
  return `${space > 0 ? line.slice(0, space) : ''} ${describeLogEntry(entry, t)}`.trimStart();
}

function describeLogEntry(entry: RunLogEntry, t: Translate): string {
  switch (entry.code) {
    case 'backend':
      return t('log.backend', { backend: entry.backend, device: entry.device });
    case 'started': {
      const heldOut = entry.evalExamples ? t('log.heldOut', { n: entry.evalExamples }) : '';
      const resuming = entry.startStep ? t('log.resumingAt', { step: entry.startStep }) : '';
      return t('log.started', { parameters: entry.parameters, examples: entry.trainExamples, heldOut, steps: entry.totalSteps, resuming });
    }
    case 'step':
      return t('log.step', { step: entry.step, total: entry.totalSteps, loss: formatLoss(entry.loss), lr: entry.lr.toExponential(2), speed: Math.round(entry.tokensPerSecond) });
    case 'eval':
      return t('log.eval', { step: entry.step, loss: formatLoss(entry.evalLoss) });
    case 'checkpoint':
      return t('log.checkpoint', { step: entry.step, path: entry.path });
    case 'health': {
      const { message, advice } = describeHealth(entry.reading, t);
      return `${t(entry.reading.severity === 'error' ? 'log.error' : 'log.warning', { step: entry.reading.step })} ${message} ${advice}`;
    }
    case 'stopping':
      return t(entry.checkpoint ? 'log.stoppingSaves' : 'log.stopping');
    case 'resuming':
      return t('log.resuming');
    case 'completed':
      return t('log.completed', { steps: entry.steps });
    case 'stopped':
      return entry.resumable ? t('log.stopped', { step: entry.step }) : t('log.stoppedEarly');
    case 'failed':
      return t('log.failed', { error: entry.error });
  }
}
