/**
 * Writes a model as one GGUF file for llama.cpp, Ollama and LM Studio. The header (metadata and every tensor's
 * name, shape, type and offset) is computed first; then the tensors stream in one at a time, so memory stays
 * near one tensor whatever the model size. The file is written under a temporary name beside `outFile` and
 * renamed when complete: a failure or a cancel leaves neither a partial file nor the temporary one.
 */
import { existsSync } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../../errors';
import { temporaryNameFor } from '../../atomic-files';
import { stopTokenIds } from '../../formats/generation-config';
import type { ModelConfig } from '../../formats/model-config';
import { readGenerationDefaults, type GenerationDefaults } from './generation-defaults';
import { alignUp, encodeGgufHeader } from './gguf-header';
import { ggufArchitecture, llama3RopeFactors, modelMetadata } from './model-metadata';
import { encodeTensor } from './tensor-encoding';
import { permuteRotary } from './tensor-names';
import { planGgufTensors, type GgufTensorSource, type PlannedGgufTensor } from './tensor-plan';
import type { GgufType } from '../../../protocol/engine-types';
import { FILE_TYPE } from './tensor-types';
import { readTokenizerMetadata } from './tokenizer-metadata';

export interface GgufWriteOptions {
  readonly source: GgufTensorSource;
  readonly config: ModelConfig;
  /** The folder with tokenizer.json, tokenizer_config.json, chat_template.jinja and generation_config.json. */
  readonly modelDir: string;
  readonly outFile: string;
  readonly type: GgufType;
  /** general.name; the model folder's name when not given. */
  readonly name?: string;
  readonly overwrite?: boolean;
  readonly onProgress?: (p: GgufProgress) => void;
  readonly signal?: AbortSignal;
}

export interface GgufProgress {
  readonly tensorsDone: number;
  readonly tensorsTotal: number;
  readonly bytesWritten: number;
  readonly bytesTotal: number;
}

export interface GgufWriteResult {
  readonly file: string;
  readonly bytes: number;
  readonly tensors: number;
  /** How many tensors of each ggml type (F32, F16, BF16, Q8_0, Q5_0, Q4_K, Q6_K). */
  readonly types: Record<string, number>;
  readonly seconds: number;
  /** What the Ollama Modelfile needs: modelfileText({ ggufFileName, ...result }). */
  readonly chatTemplate: string | null;
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  /** Texts of the tokens that end a reply. */
  readonly stop: string[];
  readonly generation: GenerationDefaults;
}

export async function writeGguf(o: GgufWriteOptions): Promise<GgufWriteResult> {
  const t0 = performance.now();
  // Everything that can refuse the model does so before a byte is written.
  if (existsSync(o.outFile) && !o.overwrite) {
    throw new UserError(`${o.outFile} already exists`, 'Choose another file name, or allow overwriting it (--overwrite on the command line).');
  }
  const arch = ggufArchitecture(o.config, join(o.modelDir, 'config.json'));
  const tokenizer = await readTokenizerMetadata(o.modelDir, o.config.vocabSize, o.config.raw);
  const ropeFactors = llama3RopeFactors(o.config);
  const generation = await readGenerationDefaults(o.modelDir);
  const tensors = planGgufTensors(o.source, o.config, arch, o.type, o.modelDir, ropeFactors !== null);
  const metadata = [
    ...modelMetadata({
      config: o.config,
      arch,
      name: o.name ?? basename(o.modelDir),
      fileType: FILE_TYPE[o.type],
      parameterCount: tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0),
      generation,
    }),
    ...tokenizer.metadata,
  ];
  const header = encodeGgufHeader(metadata, tensors);
  const bytesTotal = header.length + tensors.reduce((a, t) => a + alignUp(t.bytes), 0);

  try {
    await mkdir(dirname(o.outFile), { recursive: true });
  } catch (err) {
    throw new UserError(`cannot create the folder ${dirname(o.outFile)} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'Choose a folder you can write to.');
  }
  const tmp = temporaryNameFor(o.outFile);
  let file: FileHandle | null = null;
  try {
    file = await open(tmp, 'wx');
    let bytesWritten = 0;
    const write = async (bytes: Uint8Array) => {
      await file!.write(bytes);
      bytesWritten += bytes.length;
    };
    await write(header);
    let tensorsDone = 0;
    for (const t of tensors) {
      if (o.signal?.aborted) throw new UserError('export cancelled');
      const values = t.hfName === null ? ropeFactors! : await floatValues(o.source, t);
      await write(encodeTensor(t.type, t.rotaryHeads === null ? values : permuteRotary(values, t.shape[0]!, t.shape[1] ?? 1, t.rotaryHeads)));
      await write(new Uint8Array(alignUp(t.bytes) - t.bytes));
      o.onProgress?.({ tensorsDone: ++tensorsDone, tensorsTotal: tensors.length, bytesWritten, bytesTotal });
    }
    await file.sync();
    await file.close();
    file = null;
    await rename(tmp, o.outFile);
  } catch (err) {
    await file?.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw writeError(err, o.outFile);
  }
  const types: Record<string, number> = {};
  for (const t of tensors) types[t.type] = (types[t.type] ?? 0) + 1;
  return {
    file: o.outFile,
    bytes: bytesTotal,
    tensors: tensors.length,
    types,
    seconds: (performance.now() - t0) / 1000,
    chatTemplate: tokenizer.chatTemplate,
    bosToken: tokenizer.bosToken,
    eosToken: tokenizer.eosToken,
    stop: (await stopTokenIds(o.modelDir, o.config)).flatMap((id) => (tokenizer.tokens[id] === undefined ? [] : [tokenizer.tokens[id]!])),
    generation,
  };
}

async function floatValues(source: GgufTensorSource, t: PlannedGgufTensor): Promise<Float32Array> {
  const values = await source.read(t.hfName!);
  if (!(values instanceof Float32Array)) throw new UserError(`tensor ${t.hfName} holds integers, not weights, and cannot be written as ${t.type}`);
  return values;
}

/** File-system failures as the user can act on them; anything else passes through. */
function writeError(err: unknown, outFile: string): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new UserError(`no space left on the device writing ${outFile}`, 'Nothing was kept. Free some space, or write the GGUF somewhere else.');
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new UserError(`cannot write ${outFile}: permission denied (${code})`, 'Choose a folder you can write to.');
  return err;
}
