/**
 * Every GGUF loaded in llama.cpp itself (node-llama-cpp's prebuilt CPU binaries): its greedy tokens from the
 * chat prompt against ours (the reference's merged_final generation for the tiny models, the engine's for the
 * demo model), and its tokenization of the prompt text against our ids.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import * as tf from '../../src-main/engine/backend/tf';
import { checkInLlamaCpp } from '../../src-main/engine/export/gguf/llama-cpp-check';
import { generate } from '../../src-main/engine/model/generate';
import { loadModel } from '../../src-main/engine/model/load-model';
import { GGUF_CASES, exportGguf, type GgufCase } from './gguf-cases';

/** Below this top-2 logit margin a quantized model may pick the other token: its logits move by about this much. */
const NEAR_TIE = 0.5;

interface Ours {
  promptIds: number[];
  promptText: string;
  tokens: number[];
  /** Per step, our logit of our token minus the best other logit. */
  margins: number[];
}

const reference = (c: 'tiny-llama' | 'tiny-qwen2') => JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', c, 'reference.json'), 'utf8'));

async function ours(c: GgufCase): Promise<Ours> {
  const loaded = await loadModel(GGUF_CASES[c]);
  try {
    // The demo model shares tiny-qwen2's tokenizer and chat template, so the reference's chat prompt fits it too.
    const promptIds: number[] = reference(c === 'tiny-llama' ? 'tiny-llama' : 'tiny-qwen2')['gen.prompt_ids'];
    const tokens: number[] =
      c === 'demo-model' ? await generate(loaded.model, promptIds, { maxNewTokens: 24, sampling: { kind: 'greedy' }, stopIds: [] }) : reference(c)['gen.merged_final'];
    const all = [...promptIds, ...tokens];
    const logits = loaded.model.forward(tf.tensor2d([all], [1, all.length], 'int32'));
    const values = (await logits.data()) as Float32Array;
    logits.dispose();
    const V = loaded.config.vocabSize;
    const margins = tokens.map((token, step) => {
      const row = values.subarray((promptIds.length - 1 + step) * V, (promptIds.length + step) * V);
      let other = -Infinity;
      row.forEach((v, i) => i !== token && v > other && (other = v));
      return row[token]! - other;
    });
    return { promptIds, promptText: loaded.tokenizer.decode(promptIds, false), tokens, margins };
  } finally {
    loaded.dispose();
  }
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe.each(Object.keys(GGUF_CASES) as GgufCase[])('%s in llama.cpp', (c) => {
  let o: Ours;
  beforeAll(async () => {
    o = await ours(c);
  });

  test.each(['f32', 'f16', 'bf16', 'q8_0', 'q4_k_m'] as const)('%s', async (type) => {
    const written = await exportGguf(c, type);
    const check = await checkInLlamaCpp(written.file, { promptIds: o.promptIds, ourTokens: o.tokens, promptText: o.promptText });
    if (!check.available) throw new Error(check.reason);
    console.log(
      `${c} ${type}: ${statSync(written.file).size} bytes, written in ${written.seconds.toFixed(2)} s, ${JSON.stringify(written.types)}; ` +
        `llama.cpp agrees on ${check.agree}/${check.total} free-running tokens, teacher-forced mismatches at ${JSON.stringify(check.forcedMismatches)} ` +
        `(our margins there ${check.forcedMismatches.map((s) => o.margins[s]!.toFixed(3)).join(', ') || '-'}), check ${check.seconds.toFixed(2)} s; tokens ${check.tokens.join(',')}`,
    );
    expect(check.tokenization).toEqual({ ids: o.promptIds, equal: true });
    if (type === 'f32' || type === 'f16' || type === 'bf16') {
      expect(check.tokens).toEqual(o.tokens);
      expect(check.forcedMismatches).toEqual([]);
    } else {
      // Quantization may only flip near-ties, and the free run must hold until the first of them.
      for (const step of check.forcedMismatches) expect(Math.abs(o.margins[step]!), `step ${step}`).toBeLessThan(NEAR_TIE);
      const firstNearTie = o.margins.findIndex((m) => Math.abs(m) < NEAR_TIE);
      expect(check.agree).toBeGreaterThanOrEqual(firstNearTie < 0 ? o.tokens.length : firstNearTie);
    }
  });
});
