/**
 * "Did fine-tuning help?": a run's base model, checkpoints and final adapter answer the same examples (the ones
 * the run held out, or a dataset), and each answer is scored against the reference. Answers are greedy, so the
 * models differ by their weights alone. The results of this session are kept by run for Compare runs.
 */
import type { BoardClient, RunSummary } from '../../src-main/protocol/board-api';
import type { BackendChoice, PredictComparison, PredictProgress } from '../../src-main/protocol/engine-types';
import { DatasetState } from './dataset-state.svelte';
import { messageOf } from './failure-message';

export type EvalExamples = 'held-out' | 'dataset';

export class EvalState {
  /** The run to evaluate; null follows the run chosen for chat and export. */
  runId = $state<string | null>(null);
  examples = $state<EvalExamples>('held-out');
  /** The dataset to evaluate on instead of the held-out examples: a file, or a key of a dataset_info.json folder. */
  readonly dataset: DatasetState;
  /** At most this many examples; null: all of them. */
  maxSamples = $state<number | null>(null);
  maxNewTokens = $state(128);
  /** Where the run's base model is now, picked by the user when it is no longer where the run was trained. */
  model = $state<string | null>(null);
  running = $state(false);
  stopping = $state(false);
  progress = $state.raw<PredictProgress | null>(null);
  error = $state<string | null>(null);
  /** The last start failed because the base model is not there: the board offers to pick its folder. */
  modelMissing = $state(false);
  /** What was evaluated in this session, by run id (the board cannot read earlier predict folders). */
  results = $state.raw<ReadonlyMap<string, PredictComparison>>(new Map());

  constructor(private readonly client: BoardClient) {
    this.dataset = new DatasetState(client);
  }

  listen(): () => void {
    return this.client.on('eval:progress', (progress) => {
      if (this.running) this.progress = progress;
    });
  }

  get settingsValid(): boolean {
    const samples = this.maxSamples;
    const samplesOk = samples === null || samples === undefined || (Number.isInteger(samples) && samples >= 1);
    const tokensOk = Number.isInteger(this.maxNewTokens) && this.maxNewTokens >= 1 && this.maxNewTokens <= 4096;
    return samplesOk && tokensOk && (this.examples === 'held-out' || this.dataset.dataset !== '');
  }

  /** Another run: its own base model folder, its own result. */
  choose(runId: string | null): void {
    if (runId === this.runId) return;
    this.runId = runId;
    this.model = null;
    this.error = null;
    this.modelMissing = false;
  }

  async start(run: RunSummary, backend: BackendChoice): Promise<void> {
    if (this.running || !this.settingsValid) return;
    this.running = true;
    this.progress = null;
    this.error = null;
    this.modelMissing = false;
    const onDataset = this.examples === 'dataset';
    try {
      const result = await this.client.invoke('eval:start', {
        id: run.id,
        model: this.model,
        dataset: onDataset ? this.dataset.dataset : null,
        datasetDir: onDataset ? this.dataset.datasetDir : null,
        maxSamples: this.maxSamples || null,
        maxNewTokens: this.maxNewTokens,
        temperature: 0,
        topP: 1,
        backend,
      });
      this.results = new Map(this.results).set(run.id, result);
    } catch (err) {
      this.error = messageOf(err);
      this.modelMissing = !(await this.modelThere(this.model ?? run.model));
    } finally {
      this.running = false;
      this.stopping = false;
    }
  }

  /** Stops after the example in progress; what was scored comes back, marked partial. */
  async cancel(): Promise<void> {
    if (!this.running || this.stopping) return;
    this.stopping = true;
    try {
      await this.client.invoke('eval:cancel', {});
    } catch (err) {
      this.error = messageOf(err);
    }
  }

  private async modelThere(dir: string): Promise<boolean> {
    try {
      await this.client.invoke('model:inspect', { dir });
      return true;
    } catch {
      return false;
    }
  }
}
