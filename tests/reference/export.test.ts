import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import * as tf from '../../src-main/engine/backend/tf';
import { SafetensorsFile } from '../../src-main/engine/formats/safetensors';
import { mergeAndExport } from '../../src-main/engine/export/merge-export';
import { generate } from '../../src-main/engine/model/generate';
import { loadModel } from '../../src-main/engine/model/load-model';
import { json, runCli } from '../cli/run-cli';
import { MODEL_SHAPES } from '../../src-main/engine/bench/model-shapes';
import { writeRandomModel } from '../../src-main/engine/bench/random-model';
import { parseModelConfig } from '../../src-main/engine/formats/model-config';
import { peftKey, writeAdapter } from '../../src-main/engine/lora/adapter-files';
import { modelLayout } from '../../src-main/engine/model/model-layout';
import { CASES, DEMO_MODEL, fixturePath, maxAbs, maxAbsDiff, readJson, readReference, type Case } from '../fixtures';

const tmp = (name: string) => join(mkdtempSync(join(tmpdir(), 'tb-export-')), name);

async function exportCli(c: Case, adapter: string, out: string, extra: string[] = []) {
  return runCli(['export', '--model', fixturePath(c, 'model'), '--adapter', fixturePath(c, adapter), '--out', out, '--backend', 'wasm', '--json', ...extra]);
}

/** Raw stored values and the header's tensor order of every file of a model folder. */
async function storedTensors(dir: string) {
  const values = new Map<string, { dtype: string; raw: Uint8Array; f32: Float32Array }>();
  const order: string[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.safetensors')).sort()) {
    const file = await SafetensorsFile.open(join(dir, f));
    for (const [name, info] of file.tensors) {
      order.push(name);
      values.set(name, { dtype: info.dtype, raw: await file.readBytes(name), f32: (await file.read(name)) as Float32Array });
    }
    await file.close();
  }
  return { values, order };
}

/** bfloat16 bit patterns as an ordered integer line, so adjacent representable values differ by 1. */
const bf16Ordinal = (bits: number) => (bits & 0x8000 ? -(bits & 0x7fff) : bits);

const logitsOf = async (dir: string, c: Case) => {
  const ref = await readReference(c);
  const loaded = await loadModel(dir);
  const ids = ref.get('batch.input_ids')!;
  const out = loaded.model.forward(tf.tensor2d(ids.values, ids.shape as [number, number], 'int32'), { keyMask: ref.get('batch.attention_mask')!.values });
  const values = (await out.data()) as Float32Array;
  out.dispose();
  loaded.dispose();
  return { values, ref };
};

beforeAll(async () => {
  await initBackend('wasm');
});

describe.each(CASES)('merge and export (%s)', (c) => {
  test.each(['random', 'final'] as const)('adapter_%s: weights equal the PEFT merge, names, order, config, files', async (which) => {
    const out = tmp('merged');
    const result = json(await exportCli(c, `adapter_${which}`, out));
    expect(result).toMatchObject({ kind: 'merged', dtype: c === 'tiny-llama' ? 'float32' : 'bfloat16', verification: { ok: true } });
    const ours = await storedTensors(out);
    const ref = await storedTensors(fixturePath(c, `merged_${which}`));
    expect(ours.order).toEqual(ref.order);
    for (const [name, r] of ref.values) {
      const o = ours.values.get(name)!;
      expect(o.dtype, name).toBe(r.dtype);
      if (r.dtype === 'F32') {
        expect(maxAbsDiff(o.f32, r.f32) / Math.max(maxAbs(r.f32), 1e-30), name).toBeLessThanOrEqual(1e-6);
      } else {
        const a = new Uint16Array(o.raw.buffer, o.raw.byteOffset, o.raw.byteLength / 2);
        const b = new Uint16Array(r.raw.buffer, r.raw.byteOffset, r.raw.byteLength / 2);
        let worst = 0;
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(bf16Ordinal(a[i]!) - bf16Ordinal(b[i]!)));
        expect(worst, `${name}: bf16 units apart`).toBeLessThanOrEqual(1);
      }
    }
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(fixturePath(c, `merged_${which}`, 'config.json'), 'utf8')));
    for (const f of ['tokenizer.json', 'generation_config.json']) expect(readFileSync(join(out, f))).toEqual(readFileSync(fixturePath(c, 'model', f)));
    const record = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8'));
    expect(record.verification.maxAbsDiff).toBeLessThanOrEqual(record.verification.tolerance);
  });

  // merged.logits and gen.merged_final were computed in float32 before saving, so they are checked on float32 exports
  // (a bf16 export moves logits by its rounding, ~1e-3 here; its weights are checked above to one bf16 unit).
  test('float32 exports reproduce merged.logits and gen.merged_final', async () => {
    const random = tmp('merged-random');
    json(await exportCli(c, 'adapter_random', random, ['--dtype', 'fp32']));
    const { values, ref } = await logitsOf(random, c);
    expect(maxAbsDiff(values, ref.get('merged.logits')!.values)).toBeLessThan(2e-4);

    const final = tmp('merged-final');
    json(await exportCli(c, 'adapter_final', final, ['--dtype', 'fp32']));
    const loaded = await loadModel(final);
    const expected = readJson(c, 'reference.json');
    expect(await generate(loaded.model, expected['gen.prompt_ids'], { maxNewTokens: 24, sampling: { kind: 'greedy' }, stopIds: [] })).toEqual(expected['gen.merged_final']);
    loaded.dispose();
  });
});

describe('export options and refusals', () => {
  test('a small --max-shard-size writes shards and an index that maps every tensor; it loads back identically', async () => {
    const single = tmp('single');
    const sharded = tmp('sharded');
    json(await exportCli('tiny-llama', 'adapter_random', single));
    const result = json(await exportCli('tiny-llama', 'adapter_random', sharded, ['--max-shard-size', '200KB']));
    const shards = readdirSync(sharded).filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
    expect(shards.length).toBeGreaterThan(2);
    expect(result.files).toEqual([...shards.sort(), 'model.safetensors.index.json']);
    const index = JSON.parse(readFileSync(join(sharded, 'model.safetensors.index.json'), 'utf8'));
    const all = await storedTensors(sharded);
    expect(Object.keys(index.weight_map).sort()).toEqual([...all.order].sort());
    for (const [name, file] of Object.entries(index.weight_map)) {
      const f = await SafetensorsFile.open(join(sharded, file as string));
      expect(f.tensors.has(name)).toBe(true);
      await f.close();
    }
    expect(index.metadata.total_size).toBe(result.bytes);
    expect((await logitsOf(sharded, 'tiny-llama')).values).toEqual((await logitsOf(single, 'tiny-llama')).values);
  });

  test('an adapter for another base model is refused, naming the tensor that does not fit', async () => {
    const out = tmp('mismatch');
    const r = await runCli(['export', '--model', fixturePath('tiny-qwen2', 'model'), '--adapter', fixturePath('tiny-llama', 'adapter_random'), '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: .*adapter.*base_model\.model\.model\.layers\.\d\.\w+\.\w+_proj\.lora_[AB]\.weight/);
    expect(existsSync(out)).toBe(false);
  });

  test('an existing --out is refused unless --overwrite', async () => {
    const out = tmp('exists');
    json(await exportCli('tiny-qwen2', 'adapter_random', out));
    const again = await exportCli('tiny-qwen2', 'adapter_random', out);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists.*\n.*--overwrite/);
    json(await exportCli('tiny-qwen2', 'adapter_random', out, ['--overwrite']));
  });

  test('an export job reports progress and can be cancelled cleanly', async () => {
    const out = tmp('cancelled');
    const stop = new AbortController();
    const seen: number[] = [];
    const job = mergeAndExport({
      model: fixturePath('tiny-llama', 'model'),
      adapter: fixturePath('tiny-llama', 'adapter_random'),
      out,
      dtype: 'auto',
      maxShardBytes: 5e9,
      overwrite: false,
      verify: true,
      signal: stop.signal,
      onProgress: (p) => {
        seen.push(p.tensorsDone);
        expect(p.bytesWritten).toBeLessThanOrEqual(p.bytesTotal);
        if (p.tensorsDone === 3) stop.abort();
      },
    });
    await expect(job).rejects.toThrow(/export cancelled/);
    expect(seen).toEqual([1, 2, 3]);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(join(out, '..'))).toEqual([]);
  });

  test('--adapter-only writes the PEFT adapter alone', async () => {
    const out = tmp('adapter');
    const result = json(await exportCli('tiny-qwen2', 'adapter_final', out, ['--adapter-only']));
    expect(result.kind).toBe('adapter');
    expect(readdirSync(out).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'export.json']);
    const ours = await storedTensors(out);
    const ref = await storedTensors(fixturePath('tiny-qwen2', 'adapter_final'));
    for (const [name, r] of ref.values) expect(ours.values.get(name)!.raw).toEqual(r.raw);
  });

  test('a killed export leaves no folder at --out, and the next export cleans up after it', async () => {
    // A random-weight model big enough (~90 MB) that the export is still running when it is killed.
    const model = tmp('big');
    const shape = { ...MODEL_SHAPES.demo, hidden_size: 512, intermediate_size: 1536, num_hidden_layers: 8, num_attention_heads: 8, num_key_value_heads: 2, head_dim: 64, vocab_size: 32000 };
    await writeRandomModel({ shape, out: model, tokenizerDir: DEMO_MODEL, maxShardBytes: 50e6, seed: 3 });
    const config = parseModelConfig(shape);
    const adapter = tmp('adapter');
    const lora = { r: 8, alpha: 16, dropout: 0, targetModules: ['q_proj', 'v_proj'], useRslora: false, baseModel: model };
    const tensors = modelLayout(config)
      .linears.filter((l) => l.projection === 'q_proj' || l.projection === 'v_proj')
      .flatMap((l) => [
        { key: peftKey(l.module, 'lora_A'), shape: [8, l.inFeatures], values: new Float32Array(8 * l.inFeatures).fill(0.01) },
        { key: peftKey(l.module, 'lora_B'), shape: [l.outFeatures, 8], values: new Float32Array(8 * l.outFeatures).fill(0.01) },
      ]);
    await writeAdapter(adapter, lora, tensors);
    const out = tmp('killed');
    let killed = false;
    const r = await runCli(['export', '--model', model, '--adapter', adapter, '--out', out, '--no-verify'], {
      onStderr: (chunk, child) => {
        if (!killed && /merging \d+\/\d+/.test(chunk)) {
          killed = true;
          child.kill('SIGKILL');
        }
      },
    });
    expect(killed).toBe(true);
    expect(r.code).toBe(null);
    expect(existsSync(out)).toBe(false);
    const parent = join(out, '..');
    expect(readdirSync(parent).some((f) => f.startsWith('.killed.partial-'))).toBe(true);
    json(await runCli(['export', '--model', model, '--adapter', adapter, '--out', out, '--no-verify', '--json']));
    expect(readdirSync(parent).filter((f) => f.includes('.partial-'))).toEqual([]);
  }, 120_000);
});
