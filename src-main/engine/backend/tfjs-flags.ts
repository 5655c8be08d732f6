import { UserError } from '../errors';
import * as tf from './tf';

/**
 * TUNEBOARD_TFJS_FLAGS="NAME=value,NAME=value" sets tfjs flags (e.g. WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64), for
 * tuning a backend on a new machine without a rebuild. Values are numbers or true/false.
 */
export function applyFlagOverrides(): void {
  for (const pair of (process.env['TUNEBOARD_TFJS_FLAGS'] ?? '').split(',').filter(Boolean)) {
    const [name, value = ''] = pair.split('=');
    const parsed = value === 'true' ? true : value === 'false' ? false : Number(value);
    if (typeof parsed === 'number' && !Number.isFinite(parsed)) throw new UserError(`TUNEBOARD_TFJS_FLAGS: ${pair} is not NAME=number or NAME=true/false`);
    tf.env().set(name!.trim(), parsed);
  }
}
