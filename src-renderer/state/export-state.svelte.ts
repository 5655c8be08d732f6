/**
 * Saving a run's result: the adapter merged into the base model as a full Hugging Face model folder
 * (with the host's check that it gives the logits of base + adapter), as one GGUF file for llama.cpp and
 * Ollama (checked in llama.cpp), or the adapter alone.
 */
import type { BoardClient, RunSummary } from '../../src-main/protocol/board-api';
import type { BackendChoice, ExportDtype, ExportProgress, ExportResult, GgufType } from '../../src-main/protocol/engine-types';
import { messageOf } from './failure-message';

/** What the board saves: each is a card of the Export tab. */
export type ExportKind = 'merged' | 'gguf' | 'adapter';

export class ExportState {
  /** Folders typed by the user; null follows the default under the exports folder. */
  mergedOut = $state<string | null>(null);
  adapterOut = $state<string | null>(null);
  ggufOut = $state<string | null>(null);
  ggufType = $state<GgufType>('q4_k_m');
  dtype = $state<ExportDtype>('auto');
  maxShardSize = $state('2GB');
  overwrite = $state(false);
  running = $state<ExportKind | null>(null);
  progress = $state.raw<ExportProgress | null>(null);
  result = $state.raw<ExportResult | null>(null);
  error = $state<{ kind: ExportKind; message: string } | null>(null);
  showError = $state<string | null>(null);

  constructor(private readonly client: BoardClient) {}

  listen(): () => void {
    return this.client.on('export:progress', (progress) => {
      if (this.running) this.progress = progress;
    });
  }

  /** `<exports folder>/<run id>-merged` (or `-adapter`), with the host's path separator. */
  defaultOut(exportsDir: string, run: RunSummary | null, kind: ExportKind): string {
    if (!run) return '';
    const sep = exportsDir.includes('\\') && !exportsDir.includes('/') ? '\\' : '/';
    return `${exportsDir.replace(/[\\/]+$/, '')}${sep}${run.id}-${kind}`;
  }

  async start(kind: ExportKind, run: RunSummary, out: string, backend: BackendChoice): Promise<void> {
    if (this.running) return;
    this.running = kind;
    this.progress = null;
    this.result = null;
    this.error = null;
    this.showError = null;
    try {
      this.result = await this.client.invoke('export:start', {
        model: run.model,
        adapter: run.outputDir,
        out: out.trim(),
        kind: kind === 'adapter' ? 'adapter' : 'merged',
        format: kind === 'gguf' ? 'gguf' : 'safetensors',
        dtype: this.dtype,
        ggufType: this.ggufType,
        maxShardSize: this.maxShardSize.trim(),
        overwrite: this.overwrite,
        backend,
      });
    } catch (err) {
      this.error = { kind, message: messageOf(err) };
    } finally {
      this.running = null;
    }
  }

  async cancel(): Promise<void> {
    try {
      await this.client.invoke('export:cancel', {});
    } catch (err) {
      if (this.running) this.error = { kind: this.running, message: messageOf(err) };
    }
  }

  async show(path: string): Promise<void> {
    this.showError = null;
    try {
      const { ok } = await this.client.invoke('shell:show', { path });
      if (!ok) this.showError = path;
    } catch (err) {
      this.showError = messageOf(err);
    }
  }
}
