/** Compare runs: the runs ticked in the runs table, and whether their comparison is shown. */
import type { RunView } from './run-view.svelte';
import type { RunsState } from './runs-state.svelte';

export class RunComparisonState {
  /** Ticked runs, in the order they were ticked. */
  ids = $state<string[]>([]);
  shown = $state(false);

  constructor(private readonly runs: RunsState) {}

  /** The ticked runs that are still listed (a deleted run drops out). */
  get views(): RunView[] {
    return this.ids.flatMap((id) => this.runs.view(id) ?? []);
  }

  has(id: string): boolean {
    return this.ids.includes(id);
  }

  toggle(id: string, on: boolean): void {
    this.ids = on ? [...this.ids.filter((i) => i !== id), id] : this.ids.filter((i) => i !== id);
    if (this.views.length < 2) this.shown = false;
  }

  /** Shows the comparison; each run's config and curves are read once. */
  async show(): Promise<void> {
    if (this.views.length < 2) return;
    this.shown = true;
    await Promise.all(this.views.filter((v) => !v.loaded).map((v) => this.runs.load(v.id)));
  }
}
