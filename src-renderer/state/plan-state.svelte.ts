/**
 * The forecast of the config as it stands (run:plan): asked again a moment after the model, data, parameters,
 * device or the user's memory figure change, only the latest answer kept; the user's own memory figure for each
 * device, remembered between launches; and the speed probe that gives the forecast its time.
 */
import type { BoardClient } from '../../src-main/protocol/board-api';
import type { BackendName } from '../../src-main/protocol/engine-types';
import type { RunPlan } from '../../src-main/protocol/run-plan';
import { messageOf } from './failure-message';

const FIGURES_KEY = 'tuneboard.deviceMemory';
const PLAN_DELAY_MS = 300;

/** What a forecast is asked for. */
export interface PlanInputs {
  /** The config run:start would get. */
  readonly config: Record<string, unknown>;
  /** The probed backend and its device. */
  readonly backend: BackendName;
  readonly device: string;
  /** Runs that have ended: the latest one of this model gives the forecast its speed. */
  readonly endedRuns: number;
}

export class PlanState {
  plan = $state.raw<RunPlan | null>(null);
  error = $state<string | null>(null);
  /** Asked and not answered yet (the last forecast stays shown meanwhile). */
  pending = $state(false);
  probing = $state(false);
  probeError = $state<string | null>(null);
  /** The user is typing the device's memory (kept here: a new forecast re-renders the card, not the typing). */
  memoryDraft = $state<string | null>(null);
  /** null while the model, data or parameters cannot make a run. */
  inputs = $state.raw<PlanInputs | null>(null);
  /** The user's figures in bytes, by backend and device name. */
  private figures = $state.raw<Readonly<Record<string, number>>>(readFigures());
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private asked = '';

  constructor(private readonly client: BoardClient) {}

  /** The user's own figure for the current device, in bytes; null: what the platform says, if anything. */
  get userMemory(): number | null {
    const key = this.deviceKey;
    return key === null ? null : (this.figures[key] ?? null);
  }

  /** New inputs: asked a moment later, so that typing a value asks once. */
  update(inputs: PlanInputs | null): void {
    this.inputs = inputs;
    this.schedule(false, PLAN_DELAY_MS);
  }

  /** The device's memory as the user says it (null: back to what the platform says), remembered for this device. */
  setUserMemory(bytes: number | null): void {
    const key = this.deviceKey;
    if (key === null) return;
    const rest = Object.fromEntries(Object.entries(this.figures).filter(([k]) => k !== key));
    this.figures = bytes === null ? rest : { ...rest, [key]: bytes };
    localStorage.setItem(FIGURES_KEY, JSON.stringify(this.figures));
    this.schedule(false, 0);
  }

  /** About ten seconds of training to measure this device's speed; the forecast then has a time. */
  async measureSpeed(): Promise<void> {
    const inputs = this.inputs;
    if (!inputs || this.probing) return;
    this.probing = true;
    this.probeError = null;
    try {
      await this.client.invoke('speed:probe', { config: inputs.config, backend: inputs.backend });
      this.schedule(true, 0);
    } catch (err) {
      this.probeError = messageOf(err);
    } finally {
      this.probing = false;
    }
  }

  private get deviceKey(): string | null {
    return this.inputs ? `${this.inputs.backend}\n${this.inputs.device}` : null;
  }

  /** Asks after `delay` unless the same was asked already; `again` asks anyway (the host learnt a speed). */
  private schedule(again: boolean, delay: number): void {
    const inputs = this.inputs;
    const memoryBytes = this.userMemory;
    const key = JSON.stringify([inputs, memoryBytes]);
    if (!again && key === this.asked) return;
    this.asked = key;
    const seq = ++this.seq;
    clearTimeout(this.timer);
    this.pending = inputs !== null;
    this.timer = setTimeout(() => void this.ask(seq, inputs, memoryBytes), delay);
  }

  private async ask(seq: number, inputs: PlanInputs | null, memoryBytes: number | null): Promise<void> {
    if (!inputs) {
      this.plan = null;
      this.error = null;
      return;
    }
    try {
      const plan = await this.client.invoke('run:plan', { config: inputs.config, backend: inputs.backend, device: inputs.device, memoryBytes });
      if (seq !== this.seq) return;
      this.plan = plan;
      this.error = null;
    } catch (err) {
      if (seq !== this.seq) return;
      this.plan = null;
      this.error = messageOf(err);
    } finally {
      if (seq === this.seq) this.pending = false;
    }
  }
}

function readFigures(): Record<string, number> {
  try {
    const saved = JSON.parse(localStorage.getItem(FIGURES_KEY) ?? '{}') as unknown;
    if (typeof saved !== 'object' || saved === null) return {};
    return Object.fromEntries(Object.entries(saved).filter((e): e is [string, number] => typeof e[1] === 'number' && e[1] > 0));
  } catch {
    return {};
  }
}
