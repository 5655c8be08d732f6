/**
 * The device's training speed on a config, measured before a run: the model loaded as the run would load it,
 * its first optimizer steps (the first one untimed: it compiles programs and tunes the matrix products), for
 * about ten seconds. Nothing is written; the adapter and optimizer are thrown away.
 */
import type { BackendName } from '../../protocol/engine-types';
import type { TrainConfig } from '../../protocol/train-config';
import { initBackend } from '../backend/backend';
import { collate, padTokenId } from '../data';
import { UserError } from '../errors';
import { LoraAdapter } from '../lora/lora-adapter';
import { AdamW, adamwOptionsOf } from '../train/adamw';
import { DataOrder } from '../train/data-order';
import { queueStep, readStep } from '../train/train-step';
import { loadRunModel, loraSetup } from './run-model';
import { prepareRunData } from './training-data';

const PROBE_SECONDS = 10;

export async function probeSpeed(config: TrainConfig, backend: BackendName, signal?: AbortSignal): Promise<{ tokensPerSecond: number }> {
  await initBackend(backend);
  const loaded = await loadRunModel(config);
  const { lora, init } = await loraSetup(config, null);
  const adapter = LoraAdapter.attach(loaded.model, lora, init);
  const optimizer = new AdamW(adapter.parameters(), adamwOptionsOf(config));
  try {
    const { train } = await prepareRunData(loaded, config);
    const order = new DataOrder(train.length, config.per_device_train_batch_size, config.gradient_accumulation_steps, config.shuffle, config.seed);
    const padId = padTokenId(loaded.tokenizer);
    const step = async (n: number) => {
      const batches = order.step(n % order.stepsPerEpoch).map((indices) => collate(indices.map((j) => train[j]!), padId));
      const options = { seed: config.seed, step: n, lr: config.learning_rate, maxGradNorm: config.max_grad_norm, recomputeLayers: config.gradient_checkpointing };
      return (await readStep(queueStep(loaded.model, adapter, optimizer, batches, options))).inputTokens;
    };
    await step(0);
    let tokens = 0;
    let n = 1;
    const t0 = performance.now();
    while (performance.now() - t0 < PROBE_SECONDS * 1000) {
      if (signal?.aborted) throw new UserError('the speed probe was cancelled');
      tokens += await step(n++);
    }
    return { tokensPerSecond: tokens / ((performance.now() - t0) / 1000) };
  } finally {
    optimizer.dispose();
    adapter.detach();
    loaded.dispose();
  }
}
