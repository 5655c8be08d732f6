/** What a training run trains: the base model loaded as its config stores it, and the LoRA adapter's settings. Training and the speed probe share them. */
import type { TrainConfig } from '../../protocol/train-config';
import { readAdapter } from '../lora/adapter-files';
import type { LoraInit } from '../lora/lora-adapter';
import { resolveTargets, type LoraConfig } from '../lora/lora-config';
import { loadModel, type LoadedModel } from '../model/load-model';
import { LINEAR_LAYERS } from '../model/model-layout';
import { storageOfBits } from '../model/weight-storage';
import type { SavedCheckpoint } from '../train/checkpoint';

/** The base model with its weights kept as quantization_bit says (and double_quantization for 4-bit). */
export function loadRunModel(config: TrainConfig): Promise<LoadedModel> {
  return loadModel(config.model_name_or_path, undefined, { storage: storageOfBits(config.quantization_bit), doubleQuant: config.double_quantization });
}

/** LoRA settings from the config keys, or from the adapter being continued; weights from a checkpoint when resuming. */
export async function loraSetup(config: TrainConfig, checkpoint: SavedCheckpoint | null): Promise<{ lora: LoraConfig; init: LoraInit }> {
  const base = { baseModel: config.model_name_or_path };
  let lora: LoraConfig;
  let init: LoraInit;
  if (config.adapter_name_or_path) {
    const existing = await readAdapter(config.adapter_name_or_path, LINEAR_LAYERS);
    lora = { ...existing.config, dropout: config.lora_dropout, ...base };
    init = { kind: 'weights', tensors: existing.tensors };
  } else {
    lora = {
      r: config.lora_rank,
      alpha: config.lora_alpha ?? config.lora_rank * 2,
      dropout: config.lora_dropout,
      targetModules: resolveTargets(config.lora_target, LINEAR_LAYERS),
      useRslora: config.use_rslora,
      ...base,
    };
    init = { kind: 'peft-default', seed: config.seed };
  }
  if (checkpoint) init = { kind: 'weights', tensors: (await readAdapter(checkpoint.dir, LINEAR_LAYERS)).tensors };
  return { lora, init };
}
