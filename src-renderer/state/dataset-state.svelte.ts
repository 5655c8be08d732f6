/**
 * The dataset: a .json/.jsonl file, or a key of a LLaMA-Factory dataset_info.json folder; and its preview
 * (dataset:inspect) with the chosen model's tokenizer and the current cutoff length.
 */
import type { BoardClient, DatasetPreview } from '../../src-main/protocol/board-api';
import { messageOf } from './failure-message';

export type DatasetSourceKind = 'file' | 'registry';

export interface DatasetChoice {
  source: DatasetSourceKind;
  file: string;
  registryDir: string;
  key: string;
}

export class DatasetState {
  source = $state<DatasetSourceKind>('file');
  file = $state('');
  registryDir = $state('');
  keys = $state.raw<readonly string[]>([]);
  key = $state('');
  keysError = $state<string | null>(null);
  preview = $state.raw<DatasetPreview | null>(null);
  error = $state<string | null>(null);
  loading = $state(false);
  private seq = 0;
  private keysSeq = 0;

  constructor(private readonly client: BoardClient) {}

  /** The config's `dataset`: a file path, or a key of dataset_info.json. */
  get dataset(): string {
    return this.source === 'file' ? this.file.trim() : this.key;
  }

  /** The config's `dataset_dir`, for a dataset_info.json key. */
  get datasetDir(): string | null {
    return this.source === 'registry' ? this.registryDir.trim() || null : null;
  }

  /** Ready when its current preview is in and some example keeps an answer token within the cutoff. */
  get ready(): boolean {
    return this.preview !== null && !this.loading && this.error === null && (this.trainableRows ?? 0) > 0;
  }

  /** Examples a run trains on: the usable rows that keep an answer token within the cutoff (the engine drops the others). */
  get trainableRows(): number | null {
    return this.preview ? this.preview.usableRows - this.preview.noTrainedTokens : null;
  }

  /** Usable rows, but the cutoff leaves an answer token in none of them: the engine would refuse the run. */
  get answersCutOff(): boolean {
    return this.preview !== null && this.preview.usableRows > 0 && this.trainableRows === 0;
  }

  useFile(path: string): void {
    this.source = 'file';
    this.file = path.trim();
  }

  /** A dataset_info.json folder: lists its keys and picks `key`, or the first one. */
  async useRegistry(dir: string, key?: string): Promise<void> {
    this.source = 'registry';
    this.registryDir = dir.trim();
    const seq = ++this.keysSeq;
    this.keysError = null;
    this.keys = [];
    if (!this.registryDir) return;
    try {
      const { keys } = await this.client.invoke('dataset:keys', { dir: this.registryDir });
      if (seq !== this.keysSeq) return;
      this.keys = keys;
      this.key = key && keys.includes(key) ? key : (keys[0] ?? '');
    } catch (err) {
      if (seq === this.keysSeq) this.keysError = messageOf(err);
    }
  }

  restore(saved: Partial<DatasetChoice>): Promise<void> {
    this.file = saved.file ?? '';
    if (saved.source === 'registry' && saved.registryDir) return this.useRegistry(saved.registryDir, saved.key);
    this.source = 'file';
    return Promise.resolve();
  }

  snapshot(): DatasetChoice {
    return { source: this.source, file: this.file, registryDir: this.registryDir, key: this.key };
  }

  /**
   * The choice changed and a new preview is on its way (after the board's debounce): until it lands, the one
   * shown is not this choice's, so the dataset is not ready (Start waits for it).
   */
  previewPending(): void {
    this.loading = true;
  }

  /** Reads the dataset through the model's tokenizer and chat template (both needed for the preview). */
  async inspect(model: string, cutoffLen: number): Promise<void> {
    const seq = ++this.seq;
    const dataset = this.dataset;
    this.error = null;
    if (!dataset || !model) {
      this.preview = null;
      this.loading = false;
      return;
    }
    this.loading = true;
    try {
      const preview = await this.client.invoke('dataset:inspect', { model, dataset, datasetDir: this.datasetDir, cutoffLen });
      if (seq === this.seq) this.preview = preview;
    } catch (err) {
      if (seq === this.seq) {
        this.preview = null;
        this.error = messageOf(err);
      }
    } finally {
      if (seq === this.seq) this.loading = false;
    }
  }
}
