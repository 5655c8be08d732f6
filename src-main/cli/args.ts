import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../engine/errors';
import type { Sampling } from '../engine/model/sampling';
import { BACKEND_CHOICES, type BackendChoice } from '../protocol/engine-types';

/** A wrong command line: the message, then the command's usage. */
export class UsageError extends UserError {}

type Options = NonNullable<ParseArgsConfig['options']>;

export const backendOption = { backend: { type: 'string', default: 'auto' } } as const satisfies Options;
export const jsonOption = { json: { type: 'boolean', default: false } } as const satisfies Options;

/** Strict parsing: an unknown flag or a missing value is a UsageError naming it. */
export function parseCommandLine<O extends Options>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''), usage);
  }
}

export function required(value: string | undefined, flag: string, usage: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`, usage);
  return value;
}

/** A number flag checked against its range, with the flag named in the error. */
export function numberFlag(value: string | undefined, flag: string, fallback: number, range: { min?: number; max?: number; integer?: boolean } = {}): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  const { min = -Infinity, max = Infinity, integer = false } = range;
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    const kind = integer ? 'an integer' : 'a number';
    const bounds = [min > -Infinity ? `>= ${min}` : '', max < Infinity ? `<= ${max}` : ''].filter(Boolean).join(' and ');
    throw new UsageError(`${flag} must be ${kind}${bounds ? ` ${bounds}` : ''}, got "${value}"`);
  }
  return n;
}

export const samplingOptions = {
  greedy: { type: 'boolean', default: false },
  temperature: { type: 'string' },
  'top-p': { type: 'string' },
  seed: { type: 'string' },
} as const satisfies Options;

/** --greedy (the default), or --temperature / --top-p / --seed for sampling. */
export function samplingFrom(v: { greedy?: boolean; temperature?: string; 'top-p'?: string; seed?: string }, usage: string): Sampling {
  const sampled = v.temperature !== undefined || v['top-p'] !== undefined || v.seed !== undefined;
  if (v.greedy && sampled) throw new UsageError('--greedy cannot be combined with --temperature, --top-p or --seed', usage);
  if (!sampled) return { kind: 'greedy' };
  const temperature = numberFlag(v.temperature, '--temperature', 1, { min: 1e-4, max: 100 });
  const topP = numberFlag(v['top-p'], '--top-p', 1, { min: 1e-4, max: 1 });
  const seed = numberFlag(v.seed, '--seed', 0, { min: 0, max: 2 ** 32 - 1, integer: true });
  return { kind: 'sample', temperature, topP, seed };
}

export function backendFlag(value: string | undefined): BackendChoice {
  const v = value ?? 'auto';
  if (!(BACKEND_CHOICES as readonly string[]).includes(v)) throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${v}"`);
  return v as BackendChoice;
}
