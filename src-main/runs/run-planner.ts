/**
 * The board's plan of a config before Start: the device's memory (the user's figure where given, else what
 * the platform tells), the speed of the latest run of the same model on the same backend, or of a speed probe, and the
 * forecast itself, computed in the interactive engine process (it tokenizes the dataset).
 */
import { deviceMemory } from '../engine/backend/device-memory';
import { UserError } from '../engine/errors';
import type { BackendName } from '../protocol/engine-types';
import type { DeviceMemory, RunPlan, SpeedSource } from '../protocol/run-plan';
import type { TrainConfig } from '../protocol/train-config';
import type { EngineLauncher } from './engine-host';
import { EngineSlot } from './engine-slot';
import { runInOwnEngine, type InteractiveEngine } from './interactive-engine';
import type { RunManager } from './run-manager';

type Speed = { readonly tokensPerSecond: number; readonly source: SpeedSource };

export class RunPlanner {
  private readonly probes = new EngineSlot('a speed probe is running: wait for it');
  /** Probed speeds by model and backend. */
  private readonly probed = new Map<string, number>();
  private readonly devices = new Map<string, Promise<DeviceMemory | null>>();

  constructor(
    private readonly interactive: InteractiveEngine,
    private readonly launchEngine: EngineLauncher,
    private readonly runs: RunManager,
  ) {}

  async plan(config: TrainConfig, backend: BackendName, device: string, memoryBytes: number | null): Promise<RunPlan> {
    // The user's figure wins: a GPU shared with other programs has less than the platform says.
    const memory = memoryBytes ? { bytes: memoryBytes, source: 'user' as const } : await this.deviceOf(backend, device);
    const speed = await this.speedOf(config, backend);
    return this.interactive.run('run:plan', { config, backend, device: memory, speed }).result;
  }

  /** About ten seconds of training in an engine process of its own; refused while a run trains (they would share the device). */
  async probe(config: TrainConfig, backend: BackendName): Promise<{ tokensPerSecond: number }> {
    const active = this.runs.activeRun;
    if (active) throw new UserError(`run ${active} is training: a probe now would share the device with it`, 'Its own speed is shown as it trains; probe when it has finished.');
    const result = await this.probes.run(() => runInOwnEngine(this.launchEngine, 'speed:probe', { config, backend }));
    this.probed.set(speedKey(config.model_name_or_path, backend), result.tokensPerSecond);
    return result;
  }

  private deviceOf(backend: BackendName, device: string): Promise<DeviceMemory | null> {
    const key = `${backend}\n${device}`;
    // cpu's free RAM changes: asked each time; a GPU's size does not.
    if (backend === 'cpu') return deviceMemory({ name: backend, device });
    if (!this.devices.has(key)) this.devices.set(key, deviceMemory({ name: backend, device }));
    return this.devices.get(key)!;
  }

  /** A probe of this model and backend, else the latest run of them that made steps (its logged speeds' median). */
  private async speedOf(config: TrainConfig, backend: BackendName): Promise<Speed | null> {
    const probed = this.probed.get(speedKey(config.model_name_or_path, backend));
    if (probed) return { tokensPerSecond: probed, source: 'probe' };
    for (const run of await this.runs.list()) {
      if (run.model !== config.model_name_or_path || run.backend !== backend || run.stepsDone === 0) continue;
      const speeds = (await this.runs.get(run.id)).metrics.map((m) => m.tokens_per_s).filter((v) => v > 0).sort((a, b) => a - b);
      if (speeds.length) return { tokensPerSecond: speeds[Math.floor(speeds.length / 2)]!, source: 'run' };
    }
    return null;
  }
}

const speedKey = (model: string, backend: BackendName) => `${backend}\n${model}`;
