/**
 * Choosing a model folder or a dataset: the host's native dialog when it has one (Electron), otherwise the
 * board's own browser over fs:list, which marks model folders and datasets.
 */
import type { BoardClient, FsEntry } from '../../src-main/protocol/board-api';
import { messageOf } from './failure-message';

/** A base model folder, a dataset (file or dataset_info.json folder), or a folder to save an export in. */
export type PickPurpose = 'model' | 'dataset' | 'output';

/** What the user picked: a folder or a file, and what the host recognised it as. */
export interface PickedPath {
  readonly path: string;
  readonly hint: FsEntry['hint'];
}

export class FilePickerState {
  open = $state(false);
  purpose = $state<PickPurpose>('model');
  dir = $state('');
  parent = $state<string | null>(null);
  entries = $state.raw<readonly FsEntry[]>([]);
  /** The hint of the folder being shown, as its parent listed it. */
  dirHint = $state<FsEntry['hint']>(null);
  error = $state<string | null>(null);
  loading = $state(false);
  private resolve: ((picked: PickedPath | null) => void) | null = null;
  private seq = 0;

  constructor(
    private readonly client: BoardClient,
    private readonly nativeDialogs: () => boolean,
  ) {}

  /** Native dialog first (kind decides folder or file); falls back to the in-app browser. */
  async pick(purpose: PickPurpose, kind: 'folder' | 'file', title: string, startDir: string | null): Promise<PickedPath | null> {
    if (this.nativeDialogs()) {
      try {
        const filters = kind === 'file' ? ['json', 'jsonl'] : undefined;
        const answer = await this.client.invoke('dialog:pick', { kind, title, ...(filters ? { filters } : {}) });
        if (answer.available) return answer.path ? { path: answer.path, hint: null } : null;
      } catch {
        // No usable native dialog: the board's own browser below.
      }
    }
    return this.browse(purpose, startDir);
  }

  browse(purpose: PickPurpose, startDir: string | null): Promise<PickedPath | null> {
    this.resolve?.(null);
    this.purpose = purpose;
    this.open = true;
    void this.navigate(startDir, null);
    return new Promise((resolve) => (this.resolve = resolve));
  }

  async navigate(dir: string | null, hint: FsEntry['hint']): Promise<void> {
    const seq = ++this.seq;
    this.loading = true;
    this.error = null;
    try {
      const listing = await this.client.invoke('fs:list', { dir: dir?.trim() || null });
      if (seq !== this.seq) return;
      this.dir = listing.dir;
      this.parent = listing.parent;
      this.entries = listing.entries;
      this.dirHint = hint;
    } catch (err) {
      if (seq === this.seq) this.error = messageOf(err);
    } finally {
      if (seq === this.seq) this.loading = false;
    }
  }

  choose(picked: PickedPath | null): void {
    this.open = false;
    const resolve = this.resolve;
    this.resolve = null;
    resolve?.(picked);
  }
}
