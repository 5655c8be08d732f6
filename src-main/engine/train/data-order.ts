/**
 * Which examples each optimizer step uses, as transformers' Trainer iterates: each epoch runs over the
 * training set in batches of `batchSize` (the last one may be smaller), `accumulation` batches make one
 * optimizer step (the epoch's last step may have fewer). Without shuffling the order is the file's; with
 * shuffling each epoch has its own permutation drawn from the seed. Everything follows from the step
 * number, so a resumed run sees exactly the batches an uninterrupted one would.
 */
import { deriveSeed, seededRandom } from '../seeded-random';

export class DataOrder {
  readonly batchesPerEpoch: number;
  readonly stepsPerEpoch: number;

  constructor(
    private readonly count: number,
    private readonly batchSize: number,
    private readonly accumulation: number,
    private readonly shuffle: boolean,
    private readonly seed: number,
  ) {
    this.batchesPerEpoch = Math.ceil(count / batchSize);
    this.stepsPerEpoch = Math.ceil(this.batchesPerEpoch / accumulation);
  }

  /** transformers: max_steps when > 0, else ceil(epochs × steps per epoch). */
  totalSteps(epochs: number, maxSteps: number): number {
    return maxSteps > 0 ? maxSteps : Math.max(1, Math.ceil(epochs * this.stepsPerEpoch));
  }

  /** The micro-batches (lists of example indices) of optimizer step `step` (0-based). */
  step(step: number): number[][] {
    const epoch = Math.floor(step / this.stepsPerEpoch);
    const order = this.epochOrder(epoch);
    const first = (step % this.stepsPerEpoch) * this.accumulation;
    const last = Math.min(first + this.accumulation, this.batchesPerEpoch);
    const batches: number[][] = [];
    for (let b = first; b < last; b++) batches.push(order.slice(b * this.batchSize, (b + 1) * this.batchSize));
    return batches;
  }

  /** Epochs completed after `steps` optimizer steps, fractional. */
  epochAfter(steps: number): number {
    return steps / this.stepsPerEpoch;
  }

  private epochOrder(epoch: number): number[] {
    const order = Array.from({ length: this.count }, (_, i) => i);
    if (!this.shuffle) return order;
    const random = seededRandom(deriveSeed(this.seed, epoch));
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order;
  }
}
