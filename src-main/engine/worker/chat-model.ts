/**
 * The model a chat talks to, kept loaded between messages: loading weights is the slow part of a reply. The base
 * model is reloaded only when its folder or the backend changes; adapters are swapped on it in place, so a chat
 * comparing the base model with a run's adapter (or two runs) keeps one base model in memory.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendChoice } from '../../protocol/engine-types';
import { initBackend } from '../backend/backend';
import { ADAPTER_WEIGHTS } from '../lora/adapter-files';
import { LoraAdapter } from '../lora/lora-adapter';
import { loadModel, type LoadedModel } from '../model/load-model';

let base: { readonly key: string; readonly model: LoadedModel } | null = null;
let attached: { readonly key: string; readonly adapter: LoraAdapter } | null = null;

export async function chatModel(model: string, adapter: string | null, backend: BackendChoice): Promise<LoadedModel> {
  const report = await initBackend(backend);
  const baseKey = JSON.stringify([report.name, model]);
  if (base?.key !== baseKey) {
    releaseChatModel();
    base = { key: baseKey, model: await loadModel(model) };
  }
  // A retrained adapter in the same folder must be reloaded.
  const adapterKey = adapter ? JSON.stringify([adapter, adapterStamp(adapter)]) : null;
  if ((attached?.key ?? null) !== adapterKey) {
    attached?.adapter.detach();
    attached = null;
    if (adapter) attached = { key: adapterKey!, adapter: await LoraAdapter.load(base.model.model, adapter) };
  }
  return base.model;
}

export function releaseChatModel(): void {
  attached?.adapter.detach();
  base?.model.dispose();
  attached = null;
  base = null;
}

function adapterStamp(dir: string): number | null {
  return statSync(join(dir, ADAPTER_WEIGHTS), { throwIfNoEntry: false })?.mtimeMs ?? null;
}
