/** A model folder as a plan needs it, read from config.json and the safetensors headers without loading a weight. */
import { readModelConfig } from '../formats/model-config';
import { ModelWeights } from '../formats/model-weights';
import { checkModelWeights } from '../model/load-model';
import type { PlanModel } from './run-plan';

/** The model as its folder describes it: config.json, the stored dtypes, whether it is bitsandbytes 4-bit. */
export async function planModelOf(dir: string): Promise<PlanModel> {
  const config = await readModelConfig(dir);
  const weights = await ModelWeights.open(dir);
  try {
    const bnb = await checkModelWeights(config, weights);
    const dtypes = new Map(weights.names().map((name) => [name, weights.info(name).dtype]));
    return { config, prequantized: bnb !== null, dtypeOf: (name) => dtypes.get(name) ?? 'F32' };
  } finally {
    await weights.close();
  }
}

