import { initBackend } from '../../engine/backend/backend';
import { deviceMemory } from '../../engine/backend/device-memory';
import { describePlan } from '../../engine/forecast/plan-text';
import { parseSize } from '../../engine/byte-sizes';
import { planConfig } from '../../engine/jobs/plan-job';
import { probeSpeed } from '../../engine/jobs/speed-probe';
import { readTrainConfig } from '../../engine/train/config-file';
import { backendFlag, backendOption, jsonOption, parseCommandLine, UsageError } from '../args';
import { printResult } from '../output';
import type { Command } from './command';

const usage = `usage: tuneboard plan CONFIG.yaml [key=value ...] [--backend auto|tensorflow|webgpu|wasm|cpu] [--memory SIZE] [--probe] [--json]
  Forecasts a training config before it runs: the device memory its steps will take, term by term, against the
  device's memory (nvidia-smi, AMD's sysfs, Apple's unified memory, wasm's 4 GiB heap, free RAM on cpu), a
  verdict, and the settings that make it fit if it does not. --memory 8GB gives the device's memory where it
  cannot be read (or to plan for another GPU). --probe trains the config for about ten seconds, writing nothing,
  to forecast the run's time from the measured speed.`;

export const plan: Command = {
  summary: "forecast a config's device memory and time, and the settings that make it fit",
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, { ...backendOption, ...jsonOption, memory: { type: 'string' }, probe: { type: 'boolean', default: false } }, usage);
    const [configPath, ...overrides] = positionals;
    if (!configPath) throw new UsageError('give the config file', usage);
    const { config } = await readTrainConfig(configPath, overrides);
    const backend = await initBackend(backendFlag(values.backend));
    const device = values.memory ? { bytes: memoryFlag(values.memory), source: 'user' as const } : await deviceMemory(backend);
    const speed = values.probe ? { ...(await probeSpeed(config, backend.name)), source: 'probe' as const } : null;
    const result = await planConfig({ config, backend: backend.name, device, speed });
    printResult(values.json, { backend: backend.name, deviceName: backend.device, ...result }, () => [`backend: ${backend.name} · ${backend.device}`, ...describePlan(result)].join('\n'));
  },
};

function memoryFlag(value: string): number {
  try {
    return parseSize(value);
  } catch {
    throw new UsageError(`--memory must be a size such as 8GB or 24GB, got "${value}"`, usage);
  }
}
