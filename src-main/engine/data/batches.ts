/** Examples to one right-padded batch, the layout the model and the reference batch use. */
import { UserError } from '../errors';
import type { ChatTokenizer } from '../formats/tokenizer';
import { IGNORE_INDEX } from '../ignore-index';
import { supervisedTargets, type TokenizedExample } from './tokenize';

export interface Batch {
  /** B: examples in the batch. */
  readonly batch: number;
  /** T: the longest example in the batch. */
  readonly steps: number;
  /** Each [B*T], row-major, right-padded. */
  readonly ids: Int32Array;
  readonly labels: Int32Array;
  /** 1 on real tokens, 0 on padding. */
  readonly keyMask: Int32Array;
  /** Supervised next-token targets: labels[b][t] != -100 for t >= 1. The loss divides by this. */
  readonly tokens: number;
}

/** Padding: ids padId, labels -100 (never trained), keyMask 0 (never attended to). */
export function collate(examples: readonly TokenizedExample[], padId: number): Batch {
  if (examples.length === 0) throw new RangeError('a batch needs at least one example');
  const batch = examples.length;
  const steps = Math.max(...examples.map((e) => e.inputIds.length));
  if (steps === 0) throw new RangeError('a batch needs at least one token');
  const ids = new Int32Array(batch * steps).fill(padId);
  const labels = new Int32Array(batch * steps).fill(IGNORE_INDEX);
  const keyMask = new Int32Array(batch * steps);
  let tokens = 0;
  examples.forEach((e, b) => {
    if (e.labels.length !== e.inputIds.length) throw new RangeError(`row ${e.row}: ${e.inputIds.length} input ids but ${e.labels.length} labels`);
    ids.set(e.inputIds, b * steps);
    labels.set(e.labels, b * steps);
    keyMask.fill(1, b * steps, b * steps + e.inputIds.length);
    tokens += supervisedTargets(e.labels);
  });
  return { batch, steps, ids, labels, keyMask, tokens };
}

/** The pad token, else the end-of-sequence token, as LLaMA-Factory does for tokenizers without one. */
export function padTokenId(tokenizer: ChatTokenizer): number {
  for (const token of [tokenizer.padToken, tokenizer.eosToken]) {
    const id = token === null ? undefined : tokenizer.tokenId(token);
    if (id !== undefined) return id;
  }
  throw new UserError('the tokenizer has neither a pad token nor an end-of-sequence token', 'Set "pad_token" or "eos_token" in the model\'s tokenizer_config.json.');
}
