/**
 * A health reading in the chosen language: the sentence and the advice built from the reading's kind and
 * numbers (the engine's English message and advice, health-monitor.ts, are the reference wording). A NaN or
 * an infinity crosses JSON as null: such a value reads as "not a number".
 */
import type { HealthReading } from '../../src-main/protocol/engine-types';
import type { Translate } from './locale-state.svelte';

export interface HealthText {
  readonly message: string;
  readonly advice: string;
}

/** As the engine writes them: 3 decimals, 1 from 100 up, exponent notation outside [0.01, 10^4). */
export function healthNumber(value: number | null | undefined): string {
  if (typeof value !== 'number' || Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  const size = Math.abs(value);
  return size >= 0.01 && size < 1e4 ? value.toFixed(value >= 100 ? 1 : 3) : value.toExponential(2);
}

export function describeHealth(reading: HealthReading, t: Translate): HealthText {
  // Values that were NaN or infinite arrive as null through JSON.
  const raw = reading.values as Readonly<Record<string, number | null | undefined>>;
  const v = (name: string) => healthNumber(raw[name]);
  const finite = (name: string) => typeof raw[name] === 'number' && Number.isFinite(raw[name]);
  const step = reading.step;
  switch (reading.kind) {
    case 'diverging':
      return {
        message: t('health.diverging', { step, loss: v('loss'), start: v('start') }),
        advice: t('health.diverging.advice', { lr: v('lr'), lower: healthNumber((raw['lr'] ?? NaN) / 10) }),
      };
    case 'not-moving':
      return {
        message: t('health.not-moving', { steps: raw['steps'] ?? '?', loss: v('loss'), start: v('start') }),
        advice: t('health.not-moving.advice', { lr: v('lr') }),
      };
    case 'overfitting':
      return {
        message: t('health.overfitting', { evalLoss: v('evalLoss'), trainLoss: v('trainLoss'), bestStep: raw['bestStep'] ?? '?', bestEvalLoss: v('bestEvalLoss') }),
        advice: t('health.overfitting.advice'),
      };
    case 'grad-spike': {
      const times = Math.round((raw['gradNorm'] ?? NaN) / (raw['typical'] ?? NaN));
      const clip = raw['clip'] ?? 0;
      return {
        message: t('health.grad-spike', { step, gradNorm: v('gradNorm'), typical: v('typical'), times: Number.isFinite(times) ? times : '?' }),
        advice: clip > 0 ? t('health.grad-spike.clipped', { clip: v('clip') }) : t('health.grad-spike.unclipped'),
      };
    }
    case 'non-finite': {
      const what = !finite('loss') ? (isInfinite(raw['loss']) ? 'health.what.lossInfinite' : 'health.what.lossNaN') : isInfinite(raw['gradNorm']) ? 'health.what.gradInfinite' : 'health.what.gradNaN';
      const checkpoint = raw['checkpoint'] ?? 0;
      return {
        message: t('health.non-finite', { step, what: t(what) }),
        advice: t('health.non-finite.advice', { lr: v('lr'), then: checkpoint > 0 ? t('health.then.resume', { checkpoint }) : t('health.then.restart') }),
      };
    }
  }
}

function isInfinite(value: number | null | undefined): boolean {
  return typeof value === 'number' && !Number.isNaN(value) && !Number.isFinite(value);
}
