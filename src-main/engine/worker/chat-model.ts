/**
 * The model a chat talks to, kept loaded between messages: loading weights is the slow part of a reply.
 * It is reloaded when the model folder, the adapter (or its weights file) or the backend changes.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendChoice } from '../../protocol/engine-types';
import { initBackend } from '../backend/backend';
import { ADAPTER_WEIGHTS } from '../lora/adapter-files';
import { LoraAdapter } from '../lora/lora-adapter';
import { loadModel, type LoadedModel } from '../model/load-model';

interface Loaded {
  readonly key: string;
  readonly model: LoadedModel;
  readonly adapter: LoraAdapter | null;
}

let current: Loaded | null = null;

export async function chatModel(model: string, adapter: string | null, backend: BackendChoice): Promise<LoadedModel> {
  const report = await initBackend(backend);
  const key = JSON.stringify([report.name, model, adapter, adapter ? adapterStamp(adapter) : null]);
  if (current?.key === key) return current.model;
  releaseChatModel();
  const loaded = await loadModel(model);
  try {
    current = { key, model: loaded, adapter: adapter ? await LoraAdapter.load(loaded.model, adapter) : null };
  } catch (err) {
    loaded.dispose();
    throw err;
  }
  return loaded;
}

export function releaseChatModel(): void {
  current?.adapter?.detach();
  current?.model.dispose();
  current = null;
}

/** A retrained adapter in the same folder must be reloaded. */
function adapterStamp(dir: string): number | null {
  return statSync(join(dir, ADAPTER_WEIGHTS), { throwIfNoEntry: false })?.mtimeMs ?? null;
}
