/** The base model folder and what model:inspect found in it (or why it cannot be used). */
import type { ModelInfo } from '../../src-main/protocol/engine-types';
import type { BoardClient } from '../../src-main/protocol/board-api';
import { messageOf } from './failure-message';

export class ModelState {
  dir = $state('');
  info = $state.raw<ModelInfo | null>(null);
  error = $state<string | null>(null);
  loading = $state(false);
  private seq = 0;

  constructor(private readonly client: BoardClient) {}

  /** Ready when the folder was inspected and is a usable model. */
  get ready(): boolean {
    return this.info !== null && !this.loading;
  }

  async choose(dir: string): Promise<void> {
    const trimmed = dir.trim();
    this.dir = trimmed;
    const seq = ++this.seq;
    this.info = null;
    this.error = null;
    if (!trimmed) return;
    this.loading = true;
    try {
      const info = await this.client.invoke('model:inspect', { dir: trimmed });
      if (seq === this.seq) this.info = info;
    } catch (err) {
      if (seq === this.seq) this.error = messageOf(err);
    } finally {
      if (seq === this.seq) this.loading = false;
    }
  }
}
