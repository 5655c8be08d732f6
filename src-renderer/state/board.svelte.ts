/**
 * The board's state, all of it: one instance per window, provided to components through context. It wires
 * the host's events to the state classes, restores the last setup (or preselects the embedded demo model,
 * sample dataset and the Quick test preset on first launch), keeps the dataset preview current, and
 * remembers the setup in localStorage.
 */
import { untrack } from 'svelte';
import type { RunSummary } from '../../src-main/protocol/board-api';
import type { BoardConnection } from '../client/board-connection';
import { LocaleState } from '../i18n/locale-state.svelte';
import { ChatState } from './chat-state.svelte';
import { CompareChatState } from './compare-chat-state.svelte';
import { ConfigState, type DataChoice } from './config-state.svelte';
import { DatasetState, type DatasetChoice } from './dataset-state.svelte';
import { EvalState } from './eval-state.svelte';
import { ExportState } from './export-state.svelte';
import { FilePickerState } from './file-picker-state.svelte';
import { HostState } from './host-state.svelte';
import { ModelState } from './model-state.svelte';
import { NavState } from './nav-state.svelte';
import { PlanState, type PlanInputs } from './plan-state.svelte';
import { RunComparisonState } from './run-comparison.svelte';
import { RunsState } from './runs-state.svelte';

const SETUP_KEY = 'tuneboard.setup';
const PREVIEW_DELAY_MS = 300;

interface SavedSetup {
  model: string;
  dataset: DatasetChoice;
  config: ReturnType<ConfigState['snapshot']>;
}

export class Board {
  readonly locale = new LocaleState();
  readonly nav = new NavState();
  readonly host: HostState;
  readonly model: ModelState;
  readonly dataset: DatasetState;
  readonly config = new ConfigState();
  readonly runs: RunsState;
  readonly chat: ChatState;
  readonly compare: CompareChatState;
  readonly evaluation: EvalState;
  readonly comparison: RunComparisonState;
  readonly exporter: ExportState;
  readonly picker: FilePickerState;
  /** The memory and time forecast of the config as it stands. */
  readonly forecast: PlanState;
  /** True once the setup was restored or preselected: from then on it is saved as it changes. */
  initialized = $state(false);

  constructor(private readonly client: BoardConnection) {
    this.host = new HostState(client);
    this.model = new ModelState(client);
    this.dataset = new DatasetState(client);
    this.runs = new RunsState(client);
    this.chat = new ChatState(client);
    this.compare = new CompareChatState(client, this.runs, () => this.model.dir);
    this.evaluation = new EvalState(client);
    this.comparison = new RunComparisonState(this.runs);
    this.exporter = new ExportState(client);
    this.picker = new FilePickerState(client, () => this.host.info?.nativeDialogs === true);
    this.forecast = new PlanState(client);
  }

  /** What the forms say about model and data. */
  get choice(): DataChoice {
    return { model: this.model.dir, dataset: this.dataset.dataset, datasetDir: this.dataset.datasetDir };
  }

  /** Chat uses the selected run's adapter on its own base model, or the chosen base model alone. */
  get chatTarget(): { model: string; adapter: string | null; run: RunSummary | null } {
    const run = this.chat.withAdapter ? this.runs.selected : null;
    return { model: run ? run.model : this.model.dir, adapter: run?.outputDir ?? null, run };
  }

  /** Start needs a usable model and dataset, valid parameters, the host, and no run in progress. */
  get canStart(): boolean {
    return this.host.connected && this.host.probeError === null && this.model.ready && this.dataset.ready && this.config.valid && !this.runs.running && this.runs.busy === null;
  }

  /** Wires everything up; returns the function that undoes it. Reads no state itself (safe inside an effect). */
  start(): () => void {
    return untrack(() => this.wire());
  }

  private wire(): () => void {
    const removers = [
      this.runs.listen(),
      this.chat.listen(),
      this.compare.listen(),
      this.evaluation.listen(),
      this.exporter.listen(),
      this.nav.listen(),
      this.client.onConnection((connected) => void this.onConnection(connected)),
      $effect.root(() => {
        $effect(() => this.keepPreviewCurrent());
        $effect(() => this.saveSetup());
        $effect(() => {
          const inputs = this.forecastInputs();
          untrack(() => this.forecast.update(inputs));
        });
        $effect(() => {
          const fit = { examples: this.dataset.trainableRows, contextLength: this.model.info?.maxPositionEmbeddings ?? null };
          untrack(() => this.config.setFit(fit));
        });
      }),
    ];
    return () => removers.forEach((remove) => remove());
  }

  async startRun(): Promise<void> {
    if (!this.canStart) return;
    await this.runs.start(this.config.runConfig(this.choice), this.host.backend);
  }

  /** Fills model, data and parameters from a YAML config; problems go to config.yamlError. */
  async loadYaml(text: string): Promise<void> {
    this.config.yamlError = null;
    this.config.yamlNotice = null;
    try {
      const { choice, ignored } = this.config.loadYaml(text);
      if (ignored.length) this.config.yamlNotice = ignored.join(', ');
      if (choice.model !== undefined) void this.model.choose(choice.model);
      if (choice.dataset !== undefined) {
        if (choice.datasetDir) await this.dataset.useRegistry(choice.datasetDir, choice.dataset);
        else this.dataset.useFile(choice.dataset);
      }
    } catch (err) {
      this.config.yamlError = (err as Error).message;
    }
  }

  private async onConnection(connected: boolean): Promise<void> {
    this.host.setConnected(connected);
    if (!connected) return;
    if (this.initialized) {
      await this.runs.refresh();
      return;
    }
    const info = await this.host.loadInfo();
    if (!info) return;
    void this.host.runProbe();
    const saved = readSetup();
    if (saved) {
      this.config.restore(saved.config);
      void this.model.choose(saved.model);
      void this.dataset.restore(saved.dataset);
    } else {
      this.config.applyPreset('quick');
      void this.model.choose(info.demo.model);
      this.dataset.useFile(info.demo.dataset);
    }
    this.initialized = true;
    await this.runs.refresh();
  }

  private previewTimer: ReturnType<typeof setTimeout> | undefined;

  /** Re-reads the dataset preview when the model, dataset or cutoff length changes (debounced while typing). */
  private keepPreviewCurrent(): void {
    const model = this.model.info?.dir ?? null;
    const { dataset, datasetDir } = this.dataset;
    const cutoff = this.config.cutoffLen;
    if (!this.initialized) return;
    clearTimeout(this.previewTimer);
    if (!model || !dataset || !cutoff) {
      if (!this.model.loading) void this.dataset.inspect('', 0);
      return;
    }
    void datasetDir;
    this.dataset.previewPending();
    this.previewTimer = setTimeout(() => void this.dataset.inspect(this.model.dir, cutoff), PREVIEW_DELAY_MS);
  }

  /** What the forecast is asked for: the config Start would run, on the probed device; null until there is one. */
  private forecastInputs(): PlanInputs | null {
    const probe = this.host.probe;
    if (!this.initialized || !probe || this.host.probing || !this.model.info || !this.dataset.dataset || this.dataset.error !== null || !this.config.valid) return null;
    const endedRuns = this.runs.list.filter((r) => r.status !== 'running').length;
    return { config: this.config.runConfig(this.choice), backend: probe.name, device: probe.device, endedRuns };
  }

  private saveSetup(): void {
    if (!this.initialized) return;
    const setup: SavedSetup = { model: this.model.dir, dataset: this.dataset.snapshot(), config: this.config.snapshot() };
    localStorage.setItem(SETUP_KEY, JSON.stringify(setup));
  }
}

function readSetup(): SavedSetup | null {
  try {
    const saved = JSON.parse(localStorage.getItem(SETUP_KEY) ?? 'null') as SavedSetup | null;
    return saved && typeof saved.model === 'string' && saved.dataset && saved.config ? saved : null;
  } catch {
    return null;
  }
}
