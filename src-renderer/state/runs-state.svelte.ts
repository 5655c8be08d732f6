/**
 * Runs: the history from the host, the run shown on the Train tab (the live one after a reload), the run
 * chosen for chat and export, and the commands that start, stop, resume and delete runs.
 */
import type { BoardClient, RunSummary } from '../../src-main/protocol/board-api';
import type { BackendChoice } from '../../src-main/protocol/engine-types';
import type { PlanChanges } from '../../src-main/protocol/run-plan';
import { messageOf } from './failure-message';
import { RunView } from './run-view.svelte';
import { diverged } from './run-verdict';

export class RunsState {
  list = $state.raw<readonly RunSummary[]>([]);
  listError = $state<string | null>(null);
  /** The run the Train tab shows. */
  currentId = $state<string | null>(null);
  /** The run opened on the Runs tab. */
  openedId = $state<string | null>(null);
  /** The run whose adapter chat and export use (null: chat uses the base model alone). */
  selectedId = $state<string | null>(null);
  /** Errors of start/stop/resume/delete, shown beside those buttons. */
  actionError = $state<string | null>(null);
  busy = $state<'start' | 'stop' | 'resume' | 'delete' | null>(null);
  private readonly views = new Map<string, RunView>();

  constructor(private readonly client: BoardClient) {}

  readonly running: RunSummary | null = $derived(this.list.find((r) => r.status === 'running') ?? null);
  readonly completed: readonly RunSummary[] = $derived(this.list.filter((r) => r.status === 'completed'));
  /** Runs with an adapter to evaluate: finished, or stopped with a checkpoint. */
  readonly evaluable: readonly RunSummary[] = $derived(this.list.filter((r) => r.status === 'completed' || (r.status !== 'running' && r.resumable)));
  readonly selected: RunSummary | null = $derived(this.completed.find((r) => r.id === this.selectedId) ?? null);
  /** The choice made for the user: the newest completed run whose loss did not diverge (its adapter is worth a try). */
  readonly bestCompleted: RunSummary | null = $derived(this.completed.find((r) => !diverged(r)) ?? null);

  get current(): RunView | null {
    return this.currentId ? this.view(this.currentId) : null;
  }

  get opened(): RunView | null {
    return this.openedId ? this.view(this.openedId) : null;
  }

  /** Subscribes to the host's run events; returns the function that unsubscribes. */
  listen(): () => void {
    const removers = [
      this.client.on('run:changed', (summary) => this.upsert(summary)),
      this.client.on('run:metrics', ({ id, metrics, progress }) => this.views.get(id)?.addMetrics(metrics, progress)),
      this.client.on('run:eval', ({ id, step, evalLoss }) => this.views.get(id)?.addEval({ step, evalLoss })),
      this.client.on('run:progress', ({ id, progress }) => this.views.get(id)?.setProgress(progress)),
      this.client.on('run:health', ({ id, reading }) => this.views.get(id)?.addHealth(reading)),
      this.client.on('run:log', ({ id, line, entry }) => this.views.get(id)?.addLog({ line, entry: entry ?? null })),
      this.client.on('run:deleted', ({ id }) => this.forget(id)),
    ];
    return () => removers.forEach((remove) => remove());
  }

  /** Reads the history; after a reload, the Train tab shows the live run (or else the latest one). */
  async refresh(): Promise<void> {
    try {
      const { runs } = await this.client.invoke('run:list', {});
      this.list = [...runs].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
      this.listError = null;
      for (const r of runs) this.views.get(r.id)?.applySummary(r);
      const live = this.running ?? this.list[0] ?? null;
      if (live && (!this.currentId || !this.list.some((r) => r.id === this.currentId))) await this.show(live.id);
      else if (this.currentId) await this.load(this.currentId);
      if (!this.selected) this.selectedId = this.bestCompleted?.id ?? null;
    } catch (err) {
      this.listError = messageOf(err);
    }
  }

  /** Shows a run on the Train tab. */
  async show(id: string): Promise<void> {
    this.currentId = id;
    await this.load(id);
  }

  async open(id: string | null): Promise<void> {
    this.openedId = id;
    if (id) await this.load(id);
  }

  async start(config: Record<string, unknown>, backend: BackendChoice): Promise<void> {
    await this.act('start', async () => {
      const { id } = await this.client.invoke('run:start', { config, backend });
      await this.adopt(id);
    });
  }

  async stop(id: string): Promise<void> {
    await this.act('stop', () => this.client.invoke('run:stop', { id }));
  }

  /** `changes`: a fix of the run's plan that a resume can take (a run that ran out of memory). */
  async resume(id: string, backend: BackendChoice, changes?: Omit<PlanChanges, 'lora_rank'>): Promise<void> {
    await this.act('resume', async () => {
      const { id: resumed } = await this.client.invoke('run:resume', { id, backend, ...(changes ? { changes } : {}) });
      await this.adopt(resumed);
    });
  }

  async remove(id: string): Promise<void> {
    await this.act('delete', async () => {
      await this.client.invoke('run:delete', { id });
      this.forget(id);
    });
  }

  private async act(kind: NonNullable<RunsState['busy']>, action: () => Promise<unknown>): Promise<void> {
    this.busy = kind;
    this.actionError = null;
    try {
      await action();
    } catch (err) {
      this.actionError = messageOf(err);
    } finally {
      this.busy = null;
    }
  }

  /** A run just started or resumed: on the Train tab, with its history. */
  private async adopt(id: string): Promise<void> {
    this.currentId = id;
    if (!this.list.some((r) => r.id === id)) {
      const { runs } = await this.client.invoke('run:list', {});
      this.list = [...runs].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    }
    await this.load(id);
  }

  /** Reads a run's config and history (run:get) into its view. */
  async load(id: string): Promise<void> {
    const view = this.view(id);
    if (!view) return;
    view.beginLoad();
    try {
      view.applyDetail(await this.client.invoke('run:get', { id }));
    } catch (err) {
      view.loadError = messageOf(err);
    }
  }

  /** The view of a listed run, created on first use. */
  view(id: string): RunView | null {
    const existing = this.views.get(id);
    if (existing) return existing;
    const summary = this.list.find((r) => r.id === id);
    if (!summary) return null;
    const view = new RunView(summary);
    this.views.set(id, view);
    return view;
  }

  private upsert(summary: RunSummary): void {
    const known = this.list.some((r) => r.id === summary.id);
    this.list = known ? this.list.map((r) => (r.id === summary.id ? summary : r)) : [summary, ...this.list];
    this.views.get(summary.id)?.applySummary(summary);
    // A run started from another window (or the CLI's serve) shows here too, unless this board is busy starting its own.
    if (!known && summary.status === 'running' && this.busy === null && this.current?.summary.status !== 'running') void this.show(summary.id);
    if (summary.status === 'completed' && !diverged(summary) && (!this.selected || summary.id === this.currentId)) this.selectedId = summary.id;
  }

  private forget(id: string): void {
    this.list = this.list.filter((r) => r.id !== id);
    this.views.delete(id);
    if (this.currentId === id) this.currentId = null;
    if (this.openedId === id) this.openedId = null;
    if (this.selectedId === id) this.selectedId = this.bestCompleted?.id ?? null;
  }
}
