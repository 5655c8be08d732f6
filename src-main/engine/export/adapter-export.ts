import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { ExportResult } from '../../protocol/engine-types';
import { writeFolderAtomic } from '../formats/atomic';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, readAdapter, writeAdapter } from '../lora/adapter-files';
import { LINEAR_LAYERS } from '../model/causal-lm';
import { EXPORT_FILE, peakRss } from './merge-export';
import { versions } from '../version';

/** The adapter alone, in PEFT format: a few MB to share instead of a whole model. It is read and checked, then rewritten. */
export async function exportAdapter(o: { model: string; adapter: string; out: string; overwrite: boolean }): Promise<ExportResult> {
  const t0 = performance.now();
  const { config, tensors } = await readAdapter(o.adapter, LINEAR_LAYERS);
  const list = [...tensors].map(([key, t]) => ({ key, ...t }));
  return writeFolderAtomic(
    o.out,
    async (tmp) => {
      await writeAdapter(tmp, { ...config, baseModel: o.model }, list);
      const bytes = list.reduce((a, t) => a + t.values.byteLength, 0);
      const result: ExportResult = {
        out: o.out,
        kind: 'adapter',
        baseModel: o.model,
        adapter: o.adapter,
        dtype: 'float32',
        files: [ADAPTER_CONFIG, ADAPTER_WEIGHTS],
        bytes,
        tensors: list.length,
        mergedModules: 0,
        verification: null,
        seconds: (performance.now() - t0) / 1000,
        peakMemory: { merge: peakRss(), verify: null },
      };
      await writeFile(join(tmp, EXPORT_FILE), JSON.stringify({ ...result, created_at: new Date().toISOString(), versions: versions() }, null, 2) + '\n');
      return result;
    },
    { overwrite: o.overwrite },
  );
}
