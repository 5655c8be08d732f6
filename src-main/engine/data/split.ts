/** Holding out a validation set, as `val_size` in LLaMA-Factory: a fraction or a count of the examples. */
import { UserError } from '../errors';
import { seededRandom } from '../seeded-random';

/**
 * valSize 0: no validation set; 0 < v < 1: that fraction of the items (rounded, at least 1); v >= 1: that many.
 * Which items are held out depends only on the seed and the item count; both parts keep their original order,
 * so the training order is the file order (the trainer decides about shuffling).
 */
export function splitValidation<T>(items: readonly T[], valSize: number, seed: number): { train: T[]; val: T[] } {
  if (!Number.isFinite(valSize) || valSize < 0) throw new UserError(`val_size must be 0, a fraction below 1 or a count, not ${valSize}`);
  if (valSize >= 1 && !Number.isInteger(valSize)) throw new UserError(`val_size ${valSize} is neither a fraction below 1 nor a whole number of examples`);
  const n = items.length;
  const count = valSize === 0 ? 0 : valSize < 1 ? Math.max(1, Math.round(valSize * n)) : valSize;
  if (n === 0) throw new UserError('there are no examples to train on');
  if (count >= n) {
    throw new UserError(`val_size ${valSize} would hold out ${count} of the ${n} usable examples and leave none for training`, 'Lower val_size, or add examples to the dataset.');
  }
  if (count === 0) return { train: [...items], val: [] };

  // A partial Fisher-Yates shuffle of the indices picks `count` of them uniformly.
  const random = seededRandom(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (n - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const held = new Set(order.slice(0, count));
  const train: T[] = [];
  const val: T[] = [];
  items.forEach((item, i) => (held.has(i) ? val : train).push(item));
  return { train, val };
}
