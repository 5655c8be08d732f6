/** Each engine job as a thin call into the engine: the board's engine process runs exactly what the CLI runs. */
import { randomInt } from 'node:crypto';
import type { EngineJobs, JobName } from '../../protocol/engine-messages';
import { initBackend } from '../backend/backend';
import { loadDataset, previewDataset, resolveDatasetSource } from '../data';
import { readDatasetRegistry, REGISTRY_FILE } from '../data/dataset-info';
import { UserError } from '../errors';
import { exportAdapter } from '../export/adapter-export';
import { exportGguf } from '../export/gguf-export';
import { mergeAndExport } from '../export/merge-export';
import { parseSize } from '../byte-sizes';
import { ChatTokenizer } from '../formats/tokenizer';
import { generateText } from '../jobs/generate-text';
import { describeModel } from '../jobs/model-info';
import { planConfig } from '../jobs/plan-job';
import { probeSpeed } from '../jobs/speed-probe';
import { runTrainJob } from '../jobs/train-job';
import { chatModel } from './chat-model';
import { evaluateModels } from '../jobs/run-evaluation';
import type { Sampling } from '../model/sampling';

export interface JobContext<J extends JobName> {
  readonly emit: (event: EngineJobs[J]['event']) => void;
  readonly signal: AbortSignal;
}

type Handlers = { [J in JobName]: (params: EngineJobs[J]['params'], context: JobContext<J>) => Promise<EngineJobs[J]['result']> };

export const jobHandlers: Handlers = {
  'model:inspect': ({ dir }) => describeModel(dir),

  async 'dataset:keys'({ dir }) {
    const registry = readDatasetRegistry(dir);
    if (!registry) throw new UserError(`${dir} has no ${REGISTRY_FILE}`, 'Choose the folder that holds dataset_info.json, or pick a .json / .jsonl file as the dataset.');
    return { keys: Object.keys(registry) };
  },

  async 'dataset:inspect'({ model, dataset, datasetDir, cutoffLen }) {
    const tokenizer = await ChatTokenizer.load(model);
    const loaded = await loadDataset(resolveDatasetSource(dataset, datasetDir ?? undefined));
    return previewDataset(tokenizer, loaded, cutoffLen);
  },

  'backend:probe': ({ backend }) => initBackend(backend),

  'run:plan': (p) => planConfig(p),

  'speed:probe': ({ config, backend }, { signal }) => probeSpeed(config, backend, signal),

  train: ({ config, backend, ignoredKeys }, { emit, signal }) => runTrainJob(config, { backend, emit, signal, ignoredKeys }),

  async chat(p, { emit, signal }) {
    const loaded = await chatModel(p.model, p.adapter, p.backend);
    let sent = '';
    const result = await generateText(
      loaded,
      { kind: 'chat', messages: p.messages },
      {
        maxNewTokens: p.maxNewTokens,
        sampling: samplingOf(p.temperature, p.topP, p.seed ?? randomInt(2 ** 31)),
        ignoreEos: false,
        signal,
        onToken: (_id, text) => {
          // A token may end inside a multi-byte character (shown as U+FFFD until the next one completes it): wait for it.
          if (text.endsWith('\uFFFD') || !text.startsWith(sent) || text.length === sent.length) return;
          emit({ type: 'token', text: text.slice(sent.length) });
          sent = text;
        },
      },
    );
    return { text: result.text, tokens: result.ids.length, tokensPerSecond: result.tokensPerSecond };
  },

  async predict(p, { emit, signal }) {
    await initBackend(p.backend);
    return evaluateModels({ ...p, sampling: samplingOf(p.temperature, p.topP, p.seed) }, emit, signal);
  },

  async export(p, { emit, signal }) {
    const maxShardBytes = parseSize(p.maxShardSize);
    if (p.kind === 'adapter') return exportAdapter({ model: p.model, adapter: p.adapter, out: p.out, overwrite: p.overwrite });
    await initBackend(p.backend);
    const common = { model: p.model, adapter: p.adapter, out: p.out, overwrite: p.overwrite, verify: true, onProgress: emit, signal };
    return p.format === 'gguf' ? exportGguf({ ...common, type: p.ggufType }) : mergeAndExport({ ...common, dtype: p.dtype, maxShardBytes });
  },
};

/** Temperature 0 is greedy decoding, as the board's slider says. */
const samplingOf = (temperature: number, topP: number, seed: number): Sampling => (temperature === 0 ? { kind: 'greedy' } : { kind: 'sample', temperature, topP, seed });
