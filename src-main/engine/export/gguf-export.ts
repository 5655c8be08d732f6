/**
 * Merge and export as GGUF, for llama.cpp, Ollama and LM Studio: the merged model (merged-weights.ts) streamed
 * into one GGUF file of the chosen type, an Ollama Modelfile beside it, and the check: llama.cpp itself loads the
 * file and continues a chat prompt greedily, and its tokens are compared with TuneBoard's own continuation from
 * base + adapter. Written to a temporary folder and renamed, like the other exports.
 */
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ExportProgress, ExportResult, GgufType, LlamaCppCheckResult } from '../../protocol/engine-types';
import { writeFolderAtomic } from '../atomic-files';
import { peakResidentBytes } from '../backend/memory-probe';
import { LoraAdapter } from '../lora/lora-adapter';
import { generate } from '../model/generate';
import { loadModel } from '../model/load-model';
import { checkExportFolder } from './export-folder';
import { writeExportRecord } from './export-record';
import { checkInLlamaCpp } from './gguf/llama-cpp-check';
import { ggufArchitecture } from './gguf/model-metadata';
import { modelfileText } from './gguf/modelfile';
import { writeGguf } from './gguf/write-gguf';
import { prequantizedNote } from './merge-export';
import { MergedWeights } from './merged-weights';

export interface GgufExportOptions {
  readonly model: string;
  readonly adapter: string;
  /** The folder to write: the .gguf file, its Modelfile and export.json. */
  readonly out: string;
  readonly type: GgufType;
  readonly overwrite: boolean;
  /** Load the file in llama.cpp and compare its generation with ours. */
  readonly verify: boolean;
  readonly onProgress?: (p: ExportProgress) => void;
  readonly signal?: AbortSignal;
}

const PROBE = 'Explain in one sentence what a LoRA adapter is.';
/** Tokens compared: enough to show a model that loads wrong, few enough for a quick check. */
const PROBE_TOKENS = 24;

export async function exportGguf(o: GgufExportOptions): Promise<ExportResult> {
  const t0 = performance.now();
  checkExportFolder(o.out, o, o.overwrite);
  const weights = await MergedWeights.open(o.model, o.adapter);
  try {
    // An architecture GGUF export does not write is refused by name before anything is merged.
    ggufArchitecture(weights.config, join(o.model, 'config.json'));
    const name = basename(o.out);
    const fileName = `${name}-${o.type.toUpperCase()}.gguf`;
    return await writeFolderAtomic(
      o.out,
      async (tmp) => {
        const written = await writeGguf({
          source: weights,
          config: weights.config,
          modelDir: o.model,
          outFile: join(tmp, fileName),
          type: o.type,
          name,
          signal: o.signal,
          onProgress: (p) => o.onProgress?.({ phase: 'merging', ...p }),
        });
        const modelfile = modelfileText({ ggufFileName: fileName, ...written });
        await writeFile(join(tmp, 'Modelfile'), modelfile);
        const mergePeak = peakResidentBytes();
        const llamaCpp = o.verify ? await checkFile(o, join(tmp, fileName), written.bytes) : null;
        const result: ExportResult = {
          out: o.out,
          kind: 'merged',
          format: 'gguf',
          baseModel: o.model,
          adapter: o.adapter,
          dtype: null,
          files: [fileName, 'Modelfile'],
          bytes: written.bytes,
          tensors: written.tensors,
          mergedModules: weights.merged.size,
          verification: null,
          note: prequantizedNote(weights, null),
          gguf: { file: fileName, type: o.type, tensorTypes: written.types, modelfile: 'Modelfile', modelfileText: modelfile, ollamaCommand: `ollama create ${name} -f ${join(o.out, 'Modelfile')}`, llamaCpp },
          seconds: (performance.now() - t0) / 1000,
          peakMemory: { merge: mergePeak, verify: llamaCpp ? peakResidentBytes() : null },
        };
        await writeExportRecord(tmp, result);
        return result;
      },
      // checkExportFolder allowed replacing what is there: nothing, an empty folder, or an earlier export.
      { overwrite: true },
    );
  } finally {
    await weights.close();
  }
}

/** Our greedy continuation of a chat prompt from base + adapter (the merged model's own numbers), then llama.cpp's from the file. */
async function checkFile(o: GgufExportOptions, file: string, bytes: number): Promise<LlamaCppCheckResult> {
  o.onProgress?.({ phase: 'verifying', tensorsDone: 0, tensorsTotal: 2, bytesWritten: bytes, bytesTotal: bytes });
  const loaded = await loadModel(o.model);
  let ours: { promptIds: number[]; promptText: string; tokens: number[] };
  try {
    const adapter = await LoraAdapter.load(loaded.model, o.adapter);
    try {
      const messages = [{ role: 'user' as const, content: PROBE }];
      const promptIds = loaded.tokenizer.encodeChat(messages, true);
      const tokens = await generate(loaded.model, promptIds, { maxNewTokens: PROBE_TOKENS, sampling: { kind: 'greedy' }, stopIds: [] });
      ours = { promptIds, promptText: loaded.tokenizer.renderChat(messages, true), tokens };
    } finally {
      adapter.detach();
    }
  } finally {
    loaded.dispose();
  }
  o.onProgress?.({ phase: 'verifying', tensorsDone: 1, tensorsTotal: 2, bytesWritten: bytes, bytesTotal: bytes });
  const check = await checkInLlamaCpp(file, { promptIds: ours.promptIds, ourTokens: ours.tokens, promptText: ours.promptText });
  o.onProgress?.({ phase: 'verifying', tensorsDone: 2, tensorsTotal: 2, bytesWritten: bytes, bytesTotal: bytes });
  if (!check.available) return check;
  return { available: true, agree: check.agree, total: check.total, forcedMismatches: check.forcedMismatches, tokenizationMatches: check.tokenization?.equal ?? null };
}
