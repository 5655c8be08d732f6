/**
 * NF4 (QLoRA) weights against tests/fixtures/tiny-llama-nf4, which bitsandbytes made from tiny-llama/model:
 * quantizing here must give its bytes, reading its folder must give its dequantized weights.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UserError } from '../../src-main/engine/errors';
import { isQuantizedCompanion, quantizationOf, readNf4Weight } from '../../src-main/engine/formats/bnb-4bit';
import { ModelWeights } from '../../src-main/engine/formats/model-weights';
import { writeSafetensors, type TensorToWrite } from '../../src-main/engine/formats/safetensors';
import { blockScales, dequantizeNf4, dynamicMap8Signed, nf4StorageBytes, NF4_CODE_VALUES, quantizeNf4, type Nf4Weight } from '../../src-main/engine/quant/nf4';
import { seededRandom } from '../../src-main/engine/seeded-random';

const FIXTURES = join(__dirname, '..', 'fixtures');
const ORIGINAL = join(FIXTURES, 'tiny-llama', 'model');
const BNB = join(FIXTURES, 'tiny-llama-nf4', 'bnb-4bit');
const DEQUANTIZED = join(FIXTURES, 'tiny-llama-nf4', 'dequantized');
const PROJECTION = /\.(q|k|v|o|gate|up|down)_proj\.weight$/;

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

let original: ModelWeights;
let bnb: ModelWeights;
let dequantized: ModelWeights;
let projections: string[];

beforeAll(async () => {
  [original, bnb, dequantized] = await Promise.all([ModelWeights.open(ORIGINAL), ModelWeights.open(BNB), ModelWeights.open(DEQUANTIZED)]);
  projections = original.names().filter((n) => PROJECTION.test(n));
});
afterAll(async () => {
  await Promise.all([original.close(), bnb.close(), dequantized.close()]);
});

describe('NF4 quantization as bitsandbytes does it', () => {
  test('the signed dynamic map equals the nested_quant_map bitsandbytes saved, bit for bit', async () => {
    const saved = (await bnb.read(`${projections[0]}.nested_quant_map`)) as Float32Array;
    expect(bits(dynamicMap8Signed())).toEqual(bits(saved));
  });

  test('quantizing each projection weight gives the saved 4-bit codes, absmax codes, offset and scales', async () => {
    expect(projections).toHaveLength(14);
    for (const name of projections) {
      const shape = original.info(name).shape as [number, number];
      const w = quantizeNf4((await original.read(name)) as Float32Array, shape);
      const saved = await readNf4Weight(bnb, name);
      expect(w.codes, name).toEqual(saved.codes);
      if (w.absmax.kind !== 'nested' || saved.absmax.kind !== 'nested') throw new Error(`${name} is not double-quantized`);
      // The offset is torch's float32 mean; summed in torch's order it matches to the bit.
      expect(w.absmax.offset, name).toBe(saved.absmax.offset);
      expect(w.absmax.codes, name).toEqual(saved.absmax.codes);
      expect(bits(w.absmax.nestedAbsmax), name).toEqual(bits(saved.absmax.nestedAbsmax));
      const ours = blockScales(w);
      const theirs = blockScales(saved);
      for (let j = 0; j < ours.length; j++) expect(Math.abs(ours[j]! - theirs[j]!) / theirs[j]!).toBeLessThanOrEqual(1e-6);
      expect(bits(dequantizeNf4(w)), name).toEqual(bits((await dequantized.read(name)) as Float32Array));
    }
  });

  test('reading the bitsandbytes folder and dequantizing gives the dequantized weights exactly', async () => {
    for (const name of projections) {
      const w = await readNf4Weight(bnb, name);
      expect(w.shape).toEqual(original.info(name).shape);
      expect(bits(dequantizeNf4(w)), name).toEqual(bits((await dequantized.read(name)) as Float32Array));
    }
  });

  test('the companions are exactly the extra tensors of the quantized folder', () => {
    const weightsOf = (names: string[]) => names.filter((n) => !isQuantizedCompanion(n)).sort();
    expect(weightsOf(bnb.names())).toEqual(dequantized.names().sort());
    expect(bnb.names().filter(isQuantizedCompanion)).toHaveLength(14 * 5);
    expect(dequantized.names().some(isQuantizedCompanion)).toBe(false);
  });

  test('a partial last block and an odd count quantize as bitsandbytes defines them', () => {
    // 3 x 37 = 111 elements: a block of 64, then a partial block of 47 whose scale divides; the last byte's low nibble is padding.
    const random = seededRandom(7);
    const values = Float32Array.from({ length: 111 }, () => Math.fround((random() - 0.5) * 0.2));
    const w = quantizeNf4(values, [3, 37], false);
    if (w.absmax.kind !== 'plain') throw new Error('expected plain scales');
    expect(w.codes).toHaveLength(56);
    expect(w.codes[55]! & 0xf).toBe(7);
    const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect([...w.absmax.values]).toEqual([maxAbs(values.subarray(0, 64)), maxAbs(values.subarray(64))]);
    // Each code is the nearest NF4 value to the scaled element (argmin, no tie in random data).
    const out = dequantizeNf4(w);
    for (let i = 0; i < values.length; i++) {
      const scale = w.absmax.values[i < 64 ? 0 : 1]!;
      const scaled = i < 64 ? Math.fround(values[i]! * Math.fround(1 / scale)) : Math.fround(values[i]! / scale);
      let nearest = 0;
      for (let c = 1; c < 16; c++) if (Math.abs(scaled - NF4_CODE_VALUES[c]!) < Math.abs(scaled - NF4_CODE_VALUES[nearest]!)) nearest = c;
      expect(out[i]).toBe(Math.fround(NF4_CODE_VALUES[nearest]! * scale));
    }
    expect(nf4StorageBytes(w)).toBe(56 + 2 * 4);
  });

  test('storage size counts codes and the quantized scales', async () => {
    const name = projections.find((n) => n.endsWith('gate_proj.weight'))!; // 176 x 64: 176 blocks, one nested block
    const w = await readNf4Weight(bnb, name);
    expect(nf4StorageBytes(w)).toBe(176 * 64 / 2 + 176 + 4 + 256 * 4 + 4);
  });
});

describe('bitsandbytes quantization_config', () => {
  const config = JSON.parse(readFileSync(join(BNB, 'config.json'), 'utf8')) as { quantization_config: Record<string, unknown> };
  const withQuantization = (changes: Record<string, unknown>) => ({ ...config, quantization_config: { ...config.quantization_config, ...changes } });
  const refusal = (raw: unknown) => {
    try {
      quantizationOf(raw, 'config.json');
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      return err as UserError;
    }
    throw new Error('not refused');
  };

  test('nf4 is accepted, with or without double quantization; no quantization_config is an unquantized model', () => {
    expect(quantizationOf(config, 'config.json')).toEqual({ method: 'bitsandbytes-nf4', doubleQuant: true, computeDtype: 'float32' });
    expect(quantizationOf(withQuantization({ bnb_4bit_use_double_quant: false, bnb_4bit_compute_dtype: 'bfloat16' }), 'config.json')).toEqual({
      method: 'bitsandbytes-nf4',
      doubleQuant: false,
      computeDtype: 'bfloat16',
    });
    expect(quantizationOf(JSON.parse(readFileSync(join(ORIGINAL, 'config.json'), 'utf8')), 'config.json')).toBeNull();
  });

  test('fp4, 8-bit bitsandbytes, GPTQ, AWQ and others are refused by name, pointing to the unquantized model', () => {
    const cases: Array<[unknown, RegExp]> = [
      [withQuantization({ bnb_4bit_quant_type: 'fp4' }), /4-bit fp4/],
      [withQuantization({ load_in_4bit: false, load_in_8bit: true }), /8-bit bitsandbytes \(load_in_8bit\)/],
      [{ ...config, quantization_config: { quant_method: 'gptq', bits: 4, group_size: 128 } }, /GPTQ/],
      [{ ...config, quantization_config: { quant_method: 'awq', bits: 4, version: 'gemm' } }, /AWQ/],
      [{ ...config, quantization_config: { quant_method: 'hqq' } }, /quant_method hqq/],
    ];
    for (const [raw, pattern] of cases) {
      const err = refusal(raw);
      expect(err.message).toMatch(pattern);
      expect(err.message).toContain('config.json');
      expect(err.hint).toMatch(/unquantized model folder, with quantization_bit: 4/);
    }
  });
});

describe('a damaged bitsandbytes file is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-nf4-'));
  const target = 'model.layers.0.self_attn.q_proj.weight';

  /** A copy of the quantized folder's weights with some tensors left out or replaced. */
  async function copyWith(folder: string, edit: (t: TensorToWrite & { bytes: Uint8Array }) => (TensorToWrite & { bytes: Uint8Array }) | null): Promise<string> {
    const out = join(dir, folder);
    const tensors: Array<TensorToWrite & { bytes: Uint8Array }> = [];
    for (const name of bnb.names()) {
      const info = bnb.info(name);
      const edited = edit({ name, dtype: info.dtype, shape: info.shape, bytes: await bnb.readBytes(name) });
      if (edited) tensors.push(edited);
    }
    mkdirSync(out, { recursive: true });
    await writeSafetensors(join(out, 'model.safetensors'), tensors, { format: 'pt' });
    return out;
  }

  async function refusal(folder: string, name = target): Promise<UserError> {
    const weights = await ModelWeights.open(folder);
    try {
      const err = await readNf4Weight(weights, name).then(
        () => new Error('not refused'),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UserError);
      return err as UserError;
    } finally {
      await weights.close();
    }
  }

  test('a missing absmax names the tensor and the file', async () => {
    const folder = await copyWith('no-absmax', (t) => (t.name === `${target}.absmax` ? null : t));
    const err = await refusal(folder);
    expect(err.message).toContain(join(folder, 'model.safetensors'));
    expect(err.message).toContain(`${target}.absmax`);
  });

  test('a quant_state whose shape disagrees with the codes names the tensor and both sizes', async () => {
    const folder = await copyWith('wrong-shape', (t) => {
      if (t.name !== `${target}.quant_state.bitsandbytes__nf4`) return t;
      const state = JSON.parse(new TextDecoder().decode(t.bytes));
      const bytes = new TextEncoder().encode(JSON.stringify({ ...state, shape: [64, 32] }));
      return { ...t, shape: [bytes.length], bytes };
    });
    const err = await refusal(folder);
    expect(err.message).toContain(target);
    expect(err.message).toMatch(/shape \[64, 32\] needs 1024 bytes .* holds 2048/);
  });

  test('a blocksize that disagrees with the absmax count names both numbers', async () => {
    const folder = await copyWith('wrong-blocksize', (t) => {
      if (t.name !== `${target}.quant_state.bitsandbytes__nf4`) return t;
      const state = JSON.parse(new TextDecoder().decode(t.bytes));
      const bytes = new TextEncoder().encode(JSON.stringify({ ...state, blocksize: 128 }));
      return { ...t, shape: [bytes.length], bytes };
    });
    const err = await refusal(folder);
    expect(err.message).toContain(target);
    expect(err.message).toMatch(/blocksize 128 .* make 32 blocks but .*absmax holds 64/);
  });

  test('a quant_map that is not NF4 is refused', async () => {
    const fp4 = Float32Array.of(0, 0.0052, 0.6667, 1, 0.3333, 0.5, 0.1667, 0.25, 0, -0.0052, -0.6667, -1, -0.3333, -0.5, -0.1667, -0.25);
    const folder = await copyWith('fp4-map', (t) => (t.name === `${target}.quant_map` ? { ...t, bytes: new Uint8Array(fp4.buffer) } : t));
    expect((await refusal(folder)).message).toMatch(/quant_map is not the NF4 code/);
  });

  test('a weight saved without double quantization reads back its float32 scales', async () => {
    const name = projections[0]!;
    const shape = original.info(name).shape as [number, number];
    const plain: Nf4Weight = quantizeNf4((await original.read(name)) as Float32Array, shape, false);
    if (plain.absmax.kind !== 'plain') throw new Error('expected plain scales');
    const scales = plain.absmax.values;
    const folder = await copyWith('plain', (t) => {
      if (t.name === `${name}.absmax`) return { ...t, dtype: 'F32', shape: [scales.length], bytes: new Uint8Array(scales.buffer) };
      if (t.name === `${name}.nested_absmax` || t.name === `${name}.nested_quant_map`) return null;
      if (t.name !== `${name}.quant_state.bitsandbytes__nf4`) return t;
      const { nested_blocksize: _b, nested_dtype: _d, nested_offset: _o, ...state } = JSON.parse(new TextDecoder().decode(t.bytes));
      const bytes = new TextEncoder().encode(JSON.stringify(state));
      return { ...t, shape: [bytes.length], bytes };
    });
    const weights = await ModelWeights.open(folder);
    try {
      const read = await readNf4Weight(weights, name);
      expect(read.absmax.kind).toBe('plain');
      expect(bits(dequantizeNf4(read))).toEqual(bits(dequantizeNf4(plain)));
    } finally {
      await weights.close();
    }
  });
});
