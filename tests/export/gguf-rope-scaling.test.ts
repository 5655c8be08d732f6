/**
 * RoPE scaling as convert_hf_to_gguf writes it: linear as rope.scaling.* keys, llama3 as a rope_freqs.weight
 * tensor of per-frequency factors. The demo model with each scaling (and a context short enough that the
 * scaling matters over the prompt) must generate in llama.cpp what the engine generates.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gguf } from '@huggingface/gguf';
import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import { checkInLlamaCpp } from '../../src-main/engine/export/gguf/llama-cpp-check';
import { writeGguf } from '../../src-main/engine/export/gguf/write-gguf';
import { readModelConfig } from '../../src-main/engine/formats/model-config';
import { ModelWeights } from '../../src-main/engine/formats/model-weights';
import { generate } from '../../src-main/engine/model/generate';
import { loadModel } from '../../src-main/engine/model/load-model';
import { GGUF_CASES } from './gguf-cases';

const PROMPT: number[] = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'tiny-qwen2', 'reference.json'), 'utf8'))['gen.prompt_ids'];

function demoWithRope(ropeParameters: object): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'tb-gguf-rope-')), 'model');
  cpSync(GGUF_CASES['demo-model'], dir, { recursive: true });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, rope_parameters: { rope_theta: 10000, ...ropeParameters } }));
  return dir;
}

async function exportAndCompare(dir: string) {
  const loaded = await loadModel(dir);
  const ours = await generate(loaded.model, PROMPT, { maxNewTokens: 24, sampling: { kind: 'greedy' }, stopIds: [] });
  loaded.dispose();
  const source = await ModelWeights.open(dir);
  const written = await writeGguf({ source, config: await readModelConfig(dir), modelDir: dir, outFile: join(dir, '..', 'model.gguf'), type: 'f32' });
  await source.close();
  const check = await checkInLlamaCpp(written.file, { promptIds: PROMPT, ourTokens: ours });
  if (!check.available) throw new Error(check.reason);
  expect(ours).not.toEqual(unscaled);
  return { file: written.file, ours, check };
}

/** The demo model's own generation: each scaling must change it, or the comparison would not show the scaling is carried. */
let unscaled: number[];

beforeAll(async () => {
  await initBackend('wasm');
  const loaded = await loadModel(GGUF_CASES['demo-model']);
  unscaled = await generate(loaded.model, PROMPT, { maxNewTokens: 24, sampling: { kind: 'greedy' }, stopIds: [] });
  loaded.dispose();
});

describe('RoPE scaling', () => {
  test('linear: rope.scaling.type and factor', async () => {
    const { file, ours, check } = await exportAndCompare(demoWithRope({ rope_type: 'linear', factor: 4 }));
    const { metadata } = await gguf(file, { allowLocalFile: true });
    expect(metadata['llama.rope.scaling.type' as never]).toBe('linear');
    expect(metadata['llama.rope.scaling.factor' as never]).toBe(4);
    expect(check.tokens).toEqual(ours);
  });

  test('llama3: rope_freqs.weight with convert_hf_to_gguf\'s factors', async () => {
    const scaling = { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 32 };
    const { file, ours, check } = await exportAndCompare(demoWithRope(scaling));
    const parsed = await gguf(file, { allowLocalFile: true });
    const info = parsed.tensorInfos.find((t) => t.name === 'rope_freqs.weight')!;
    expect(info.shape).toEqual([16n]); // head_dim 32 / 2
    const bytes = readFileSync(file).subarray(Number(parsed.tensorDataOffset + info.offset), Number(parsed.tensorDataOffset + info.offset) + 64);
    const factors = new Float32Array(new Uint8Array(bytes).buffer);
    // Wavelengths 2π·10000^(2i/32): under 32/4 = 8 keep factor 1, over 32/1 take 8, between are smoothed.
    factors.forEach((f, i) => {
      const wavelen = 2 * Math.PI * 10000 ** ((2 * i) / 32);
      const smooth = (32 / wavelen - 1) / (4 - 1);
      expect(f, `frequency ${i}`).toBeCloseTo(wavelen < 8 ? 1 : wavelen > 32 ? 8 : 1 / ((1 - smooth) / 8 + smooth), 5);
    });
    expect(check.tokens).toEqual(ours);
  });
});
