/**
 * Reads a run's curves as a practitioner would and says what it sees: the loss rising (diverging), the loss not
 * moving, the eval loss rising while the training loss falls (overfitting), gradient-norm spikes, and a loss or
 * gradient that is no longer a number. Each reading is a sentence with its numbers and one change to try. Pure
 * arithmetic on the numbers the trainer already reads: it costs nothing per step.
 */
import type { HealthKind, HealthReading } from '../../protocol/engine-types';

/** Smoothing of the step losses (an exponential moving average, as the board's chart draws it). */
const EMA_WEIGHT = 0.8;
/** Steps before the loss's level is judged: the first ones are noisy, and warmup moves slowly. */
const SETTLE_STEPS = 5;
/** Diverging: the smoothed loss this far above the first step's loss. */
const DIVERGED_RATIO = 1.3;
/** Not moving: within this fraction of its start after NOT_MOVING_STEPS steps (and a quarter of the run). */
const NOT_MOVING_FRACTION = 0.02;
const NOT_MOVING_STEPS = 30;
/** A gradient spike: this many times the median norm of the last SPIKE_WINDOW steps, and above the clip. */
const SPIKE_RATIO = 5;
const SPIKE_WINDOW = 20;
/** Overfitting: eval loss this far above its best while the smoothed training loss fell this far since then. */
const OVERFIT_EVAL_RATIO = 1.1;
const OVERFIT_TRAIN_RATIO = 0.9;

export interface HealthSettings {
  readonly learningRate: number;
  readonly maxGradNorm: number;
  readonly totalSteps: number;
}

const round = (x: number) => Number(x.toPrecision(4));
const fmt = (x: number) => (Number.isFinite(x) ? (Math.abs(x) >= 0.01 && Math.abs(x) < 1e4 ? x.toFixed(x >= 100 ? 1 : 3) : x.toExponential(2)) : String(x));

export class HealthMonitor {
  /** The first step's loss, and the smoothed loss once settled (the level "not moving" is judged against). */
  private first: number | null = null;
  private settled: number | null = null;
  private ema: number | null = null;
  private steps = 0;
  private readonly norms: number[] = [];
  private readonly evals: Array<{ step: number; loss: number; trainEma: number }> = [];
  private readonly checkpoints = new Set<number>();
  private readonly said = new Set<HealthKind>();
  private lastSpike = -Infinity;

  constructor(private readonly s: HealthSettings) {}

  noteCheckpoint(step: number): void {
    this.checkpoints.add(step);
  }

  /** After an optimizer step: its loss (NaN when it had no supervised token) and gradient norm. */
  step(step: number, loss: number, gradNorm: number, tokens: number): HealthReading[] {
    if (tokens === 0) return [];
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) return [this.nonFinite(step, loss, gradNorm)];
    this.steps++;
    this.first ??= loss;
    const ema = (this.ema = this.ema === null ? loss : EMA_WEIGHT * this.ema + (1 - EMA_WEIGHT) * loss);
    if (this.steps === SETTLE_STEPS) this.settled = ema;
    const readings = [...this.spike(step, gradNorm)];
    this.norms.push(gradNorm);
    const { first, settled } = this;
    if (first === null || settled === null) return readings;
    const { learningRate: lr } = this.s;
    if (ema > DIVERGED_RATIO * first) {
      readings.push(...this.once('diverging', step, { loss: ema, start: first, lr }, `the loss is rising: ${fmt(ema)} at step ${step}, up from ${fmt(first)} at the start`, `Lower the learning rate (now ${fmt(lr)}); try ${fmt(lr / 10)}.`));
    }
    if (this.steps >= NOT_MOVING_STEPS && step >= this.s.totalSteps / 4 && Math.abs(ema - settled) < NOT_MOVING_FRACTION * settled) {
      readings.push(
        ...this.once('not-moving', step, { loss: ema, start: settled, steps: this.steps, lr }, `the loss has not moved in ${this.steps} steps (${fmt(settled)} → ${fmt(ema)})`, `Raise the learning rate (now ${fmt(lr)}), or check that the examples have answers to learn.`),
      );
    }
    return readings;
  }

  /** After an evaluation on the held-out examples. */
  evaluation(step: number, evalLoss: number): HealthReading[] {
    if (!Number.isFinite(evalLoss) || this.ema === null) return [];
    const best = this.evals.reduce<(typeof this.evals)[number] | null>((b, e) => (b === null || e.loss < b.loss ? e : b), null);
    this.evals.push({ step, loss: evalLoss, trainEma: this.ema });
    if (!best || evalLoss <= OVERFIT_EVAL_RATIO * best.loss || this.ema >= OVERFIT_TRAIN_RATIO * best.trainEma) return [];
    const kept = this.checkpoints.has(best.step) ? ` (checkpoint step-${best.step})` : '';
    return this.once(
      'overfitting',
      step,
      { evalLoss, trainLoss: this.ema, bestStep: best.step, bestEvalLoss: best.loss },
      `the model is memorising the examples: the eval loss rose to ${fmt(evalLoss)} while the training loss fell to ${fmt(this.ema)}; the best evaluation was at step ${best.step} (eval loss ${fmt(best.loss)})${kept}`,
      'Train for fewer steps or epochs, add examples, or raise lora_dropout.',
    );
  }

  private spike(step: number, gradNorm: number): HealthReading[] {
    if (this.norms.length < SPIKE_WINDOW / 2 || step - this.lastSpike < SPIKE_WINDOW) return [];
    const recent = this.norms.slice(-SPIKE_WINDOW).sort((a, b) => a - b);
    const typical = recent[Math.floor(recent.length / 2)]!;
    if (gradNorm < SPIKE_RATIO * typical || gradNorm <= this.s.maxGradNorm) return [];
    this.lastSpike = step;
    const clip = this.s.maxGradNorm;
    return [
      reading('grad-spike', 'warn', step, { gradNorm, typical, clip }, `the gradient norm jumped to ${fmt(gradNorm)} at step ${step} (${Math.round(gradNorm / typical)} times the usual ${fmt(typical)})`, clip > 0 ? `Clipping caps it at max_grad_norm ${fmt(clip)}; if spikes repeat, lower the learning rate.` : 'Set max_grad_norm (1.0 is usual) to clip such spikes, or lower the learning rate.'),
    ];
  }

  private nonFinite(step: number, loss: number, gradNorm: number): HealthReading {
    const what = !Number.isFinite(loss) ? `the loss became ${Number.isNaN(loss) ? 'NaN (not a number)' : 'infinite'}` : `the gradient became ${Number.isNaN(gradNorm) ? 'NaN (not a number)' : 'infinite'}`;
    const checkpoint = Math.max(0, ...this.checkpoints);
    const resume = checkpoint > 0 ? `resume from the last good checkpoint (step ${checkpoint})` : 'start again';
    return reading(
      'non-finite',
      'error',
      step,
      { loss, gradNorm, lr: this.s.learningRate, checkpoint },
      `${what} at step ${step}, so the run stopped`,
      `Usual causes: a learning rate too high (now ${fmt(this.s.learningRate)}), fp16 weights overflowing, or broken examples (empty or garbled text). Lower the learning rate, check the data, then ${resume}.`,
    );
  }

  /** A warning said once a run: the board and the log would drown in it otherwise. */
  private once(kind: HealthKind, step: number, values: Record<string, number>, message: string, advice: string): HealthReading[] {
    if (this.said.has(kind)) return [];
    this.said.add(kind);
    return [reading(kind, 'warn', step, values, message, advice)];
  }
}

function reading(kind: HealthKind, severity: HealthReading['severity'], step: number, values: Record<string, number>, message: string, advice: string): HealthReading {
  return { step, kind, severity, values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Number.isFinite(v) ? round(v) : v])), message, advice };
}
