import { readModelConfig } from '../formats/model-config';
import { ModelWeights } from '../formats/model-weights';
import { ChatTokenizer } from '../formats/tokenizer';
import { configDtypeName } from '../formats/dtype';
import { checkModelWeights } from '../model/load-model';
import { LINEAR_LAYERS, modelLayout } from '../model/model-layout';
import type { ModelInfo } from '../../protocol/engine-types';

/** What a model folder holds, read from its headers without loading any weights; throws why it cannot be used. */
export async function describeModel(dir: string): Promise<ModelInfo> {
  const config = await readModelConfig(dir);
  const tokenizer = await ChatTokenizer.load(dir);
  const weights = await ModelWeights.open(dir);
  try {
    const bnb = await checkModelWeights(config, weights);
    const parameters = modelLayout(config).parameters.reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
    return {
      dir,
      architecture: config.architecture,
      modelType: config.modelType,
      layers: config.numLayers,
      hiddenSize: config.hiddenSize,
      intermediateSize: config.intermediateSize,
      heads: config.numHeads,
      kvHeads: config.numKvHeads,
      headDim: config.headDim,
      vocabSize: config.vocabSize,
      maxPositionEmbeddings: config.maxPositionEmbeddings,
      tiedEmbeddings: config.tieWordEmbeddings,
      parameters,
      dtype: configDtypeName(config.dtype),
      quantization: bnb ? `bitsandbytes 4-bit NF4${bnb.doubleQuant ? ', double quantization' : ''}` : null,
      bytes: weights.totalBytes(),
      files: weights.files.length,
      chatTemplate: tokenizer.hasChatTemplate,
      linearLayers: LINEAR_LAYERS,
    };
  } finally {
    await weights.close();
  }
}
