import { initBackend } from '../../engine/backend/backend';
import { describeModel } from '../../engine/jobs/model-info';
import { backendFlag, backendOption, jsonOption, parseCommandLine, required } from '../args';
import { printResult } from '../output';
import { formatBytes, formatCount } from '../../protocol/quantities';
import type { Command } from './command';

const usage = 'usage: tuneboard info --model DIR [--backend auto|tensorflow|webgpu|wasm|cpu] [--json]';

export const info: Command = {
  summary: 'describe a model folder (architecture, sizes, parameters, dtype) and the backend found',
  usage,
  async run(argv) {
    const { values } = parseCommandLine(argv, { model: { type: 'string' }, ...backendOption, ...jsonOption }, usage);
    const model = await describeModel(required(values.model, '--model', usage));
    const backend = await initBackend(backendFlag(values.backend));
    printResult(values.json, { ...model, backend: backend.name, device: backend.device }, () =>
      [
        `${model.architecture} (${model.modelType}) in ${model.dir}`,
        `  layers ${model.layers} · hidden ${model.hiddenSize} · intermediate ${model.intermediateSize}`,
        `  heads ${model.heads} · KV heads ${model.kvHeads} · head dim ${model.headDim} · vocab ${model.vocabSize}`,
        `  parameters ${formatCount(model.parameters)} · ${model.quantization ?? model.dtype} · ${formatBytes(model.bytes)} in ${model.files} file(s)`,
        `  chat template: ${model.chatTemplate ? 'yes' : 'no'} · tied embeddings: ${model.tiedEmbeddings ? 'yes' : 'no'}`,
        `backend: ${backend.name} · ${backend.device}`,
      ].join('\n'),
    );
  },
};
