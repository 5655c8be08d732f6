/**
 * What a run that ran out of memory records (run.json's out_of_memory, the board's "Resume with settings that fit")
 * and says: where it was, what its config needs by the forecast (plan-job.ts) against what was available (the
 * memory limit, else the device's memory), and the fixes a resume can take, planned against that.
 */
import type { BackendReport } from '../../protocol/engine-types';
import { verdictOf, type DeviceMemory, type MemoryForecast, type OutOfMemory, type PlanFix } from '../../protocol/run-plan';
import type { TrainConfig } from '../../protocol/train-config';
import { deviceMemory } from '../backend/device-memory';
import type { OutOfMemoryError } from '../backend/out-of-memory';
import { UserError } from '../errors';
import type { RunPosition } from '../train/trainer';
import { outOfMemoryHint, outOfMemorySentence } from '../forecast/out-of-memory-text';
import { planConfig } from './plan-job';

/** A run's failure for lack of memory: the sentence, the fixes as the hint, the record for run.json. */
export class OutOfMemoryFailure extends UserError {
  constructor(
    readonly outOfMemory: OutOfMemory,
    /** A checkpoint exists to resume from. */
    readonly resumable: boolean,
  ) {
    super(outOfMemorySentence(outOfMemory), outOfMemoryHint(outOfMemory.fixes, resumable));
  }
}

export async function reportOutOfMemory(cause: OutOfMemoryError, at: RunPosition, config: TrainConfig, backend: BackendReport | null, limit: number | null): Promise<OutOfMemory> {
  // The cpu backend's device is the process's RAM.
  const onDevice = cause.place === 'device' || backend?.name === 'cpu';
  const memory = onDevice && backend ? DEVICE_WORDS[backend.name](backend.device) : 'RAM';
  const device: DeviceMemory | null = !onDevice || !backend ? null : limit !== null ? { bytes: limit, source: 'user' } : await deviceMemory(backend).catch(() => null);
  // A memory limit counts the tensors' bytes only (memory-limit.ts gives tfjs's pool back to stay within it):
  // against it, what a config needs is the forecast's tensor peak; against a device, all it holds.
  const measure = (m: MemoryForecast) => (limit !== null ? m.tensorPeak : m.total);
  // The forecast is of the backend's device: it says nothing of the RAM a GPU backend's process ran out of.
  const forecast = onDevice && backend ? await planConfig({ config, backend: backend.name, device: null, speed: null }).then((p) => measure(p.memory), () => null) : null;
  const needed = forecast === null ? cause.neededBytes : Math.max(forecast, cause.neededBytes ?? 0);
  const fixes = forecast !== null && backend ? await fixesWithin(config, backend, budgetOf(forecast, needed!, device), measure) : [];
  return { step: at.step, phase: at.phase, memory, neededBytes: needed, availableBytes: device?.bytes ?? null, fixes, limited: limit !== null };
}

const DEVICE_WORDS: Record<BackendReport['name'], (device: string) => string> = {
  webgpu: () => 'GPU memory',
  tensorflow: (device) => (/CUDA/.test(device) ? 'GPU memory' : 'RAM'),
  wasm: () => 'the wasm heap',
  cpu: () => 'RAM',
};

/**
 * What the fixes must fit, in the forecast's terms. The run did not fit: where it needed more than the forecast
 * said, the forecast of every fix is taken to be short by as much; where the device seemed big enough (other
 * programs use it) or its size is unknown, the fixes must come in under what the run took.
 */
function budgetOf(forecast: number, needed: number, device: DeviceMemory | null): DeviceMemory {
  const bytes = device && device.bytes < needed ? (forecast * device.bytes) / needed : forecast;
  return { bytes, source: device?.source ?? 'user' };
}

/** The plan's fixes that a resume can take, judged by `measure` against the budget, those that fit first. */
async function fixesWithin(config: TrainConfig, backend: BackendReport, budget: DeviceMemory, measure: (m: MemoryForecast) => number): Promise<PlanFix[]> {
  const plan = await planConfig({ config, backend: backend.name, device: budget, speed: null }).catch(() => null);
  const resumable = (plan?.fixes ?? []).filter((f) => f.resumable).map((f) => ({ ...f, verdict: verdictOf(measure(f.memory), budget) }));
  return resumable.sort((a, b) => Number(b.verdict === 'fits') - Number(a.verdict === 'fits'));
}
