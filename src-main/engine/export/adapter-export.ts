import type { ExportResult } from '../../protocol/engine-types';
import { peakResidentBytes } from '../backend/memory-probe';
import { writeFolderAtomic } from '../atomic-files';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, readAdapter, writeAdapter } from '../lora/adapter-files';
import { LINEAR_LAYERS } from '../model/model-layout';
import { checkExportFolder } from './export-folder';
import { writeExportRecord } from './export-record';

/** The adapter alone, in PEFT format: a few MB to share instead of a whole model. It is read and checked, then rewritten. */
export async function exportAdapter(o: { model: string; adapter: string; out: string; overwrite: boolean }): Promise<ExportResult> {
  const t0 = performance.now();
  checkExportFolder(o.out, o, o.overwrite);
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
        format: 'safetensors',
        baseModel: o.model,
        adapter: o.adapter,
        dtype: 'float32',
        files: [ADAPTER_CONFIG, ADAPTER_WEIGHTS],
        bytes,
        tensors: list.length,
        mergedModules: 0,
        verification: null,
        gguf: null,
        note: null,
        seconds: (performance.now() - t0) / 1000,
        peakMemory: { merge: peakResidentBytes(), verify: null },
      };
      await writeExportRecord(tmp, result);
      return result;
    },
    // checkExportFolder allowed replacing what is there: nothing, an empty folder, or an earlier export.
    { overwrite: true },
  );
}
