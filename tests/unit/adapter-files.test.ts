import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { UserError } from '../../src-main/engine/errors';
import { readAdapter, writeAdapter } from '../../src-main/engine/lora/adapter-files';
import { checkAdapterFits } from '../../src-main/engine/lora/adapter-fit';
import { loraScale, resolveTargets } from '../../src-main/engine/lora/lora-config';
import { LINEAR_LAYERS } from '../../src-main/engine/model/model-layout';
import { ModelWeights } from '../../src-main/engine/formats/model-weights';
import { fixturePath } from '../fixtures';

describe('PEFT adapter files', () => {
  test('read PEFT fixtures, write them back bit for bit with the same keys', async () => {
    const { config, tensors } = await readAdapter(fixturePath('tiny-qwen2', 'adapter_random'), LINEAR_LAYERS);
    expect(config).toMatchObject({ r: 8, alpha: 16, useRslora: true, targetModules: ['q_proj', 'v_proj'] });
    expect(loraScale(config)).toBeCloseTo(16 / Math.sqrt(8), 12);
    expect([...tensors.keys()]).toContain('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    const dir = mkdtempSync(join(tmpdir(), 'tb-adapter-'));
    await writeAdapter(dir, config, [...tensors].map(([key, t]) => ({ key, ...t })));
    const again = await readAdapter(dir, LINEAR_LAYERS);
    expect(again.config).toEqual(config);
    for (const [key, t] of tensors) expect(again.tensors.get(key)!.values).toEqual(t.values);
    const written = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    expect(written).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 8, lora_alpha: 16, use_rslora: true, bias: 'none', target_modules: ['q_proj', 'v_proj'] });
  });

  test('features TuneBoard does not apply are refused, not dropped', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'tb-dora-')), 'a');
    cpSync(fixturePath('tiny-llama', 'adapter_random'), dir, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, use_dora: true }));
    await expect(readAdapter(dir, LINEAR_LAYERS)).rejects.toThrow(/use_dora \(DoRA\).*not support/);
  });

  test('lora_target: all, a comma list, and unknown names', () => {
    expect(resolveTargets('all', LINEAR_LAYERS)).toEqual([...LINEAR_LAYERS]);
    expect(resolveTargets('v_proj, q_proj', LINEAR_LAYERS)).toEqual(['q_proj', 'v_proj']);
    expect(() => resolveTargets('q_proj,qkv_proj', LINEAR_LAYERS)).toThrow(/qkv_proj is not a linear layer of this model/);
  });

  test('an adapter for another model is refused naming the tensor', async () => {
    const { config, tensors } = await readAdapter(fixturePath('tiny-llama', 'adapter_random'), LINEAR_LAYERS);
    // tiny-llama's own layers, except that layer 0's q_proj takes 128 inputs instead of 64.
    const weights = await ModelWeights.open(fixturePath('tiny-llama', 'model'));
    const layers = weights
      .names()
      .filter((n) => /layers\.\d+\.(self_attn|mlp)\..*\.weight$/.test(n))
      .map((n) => ({ module: n.replace(/\.weight$/, ''), outFeatures: weights.info(n).shape[0]!, inFeatures: n === 'model.layers.0.self_attn.q_proj.weight' ? 128 : weights.info(n).shape[1]! }));
    await weights.close();
    const err = (() => {
      try {
        checkAdapterFits(layers, config, tensors);
      } catch (e) {
        return e as UserError;
      }
    })();
    expect(err).toBeInstanceOf(UserError);
    expect(err!.message).toMatch(/base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight has shape \[4, 64\] but this model needs \[4, 128\]/);
  });
});
