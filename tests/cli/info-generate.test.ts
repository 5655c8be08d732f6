import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CASES, DEMO_MODEL, fixturePath, readJson } from '../fixtures';
import { json, runCli } from './run-cli';

describe('tuneboard info', () => {
  test('describes a sharded bf16 model and reports the backend', async () => {
    const out = json(await runCli(['info', '--model', fixturePath('tiny-qwen2', 'model'), '--backend', 'wasm', '--json']));
    expect(out).toMatchObject({
      architecture: 'Qwen2ForCausalLM',
      modelType: 'qwen2',
      layers: 2,
      hiddenSize: 64,
      heads: 4,
      kvHeads: 2,
      vocabSize: 1024,
      parameters: 152128,
      dtype: 'bfloat16',
      bytes: 304256,
      backend: 'wasm',
    });
    expect(out.device).toMatch(/WebAssembly/);
  });

  test('auto falls back to a backend that works and says which', async () => {
    const r = await runCli(['info', '--model', DEMO_MODEL]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/LlamaForCausalLM/);
    expect(r.stdout).toMatch(/backend: (tensorflow|webgpu|wasm|cpu) · /);
  });

  test('an unknown architecture is a one-line error with exit code 1 and no stack trace', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'tb-cli-')), 'm');
    cpSync(fixturePath('tiny-llama', 'model'), dir, { recursive: true });
    const raw = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...raw, architectures: ['FalconForCausalLM'] }));
    const r = await runCli(['info', '--model', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*architecture FalconForCausalLM is not supported/m);
    expect(r.stderr).not.toMatch(/\bat .*\.(m?js|ts):\d+/);
  });

  test('a bad flag is a usage error (exit 2)', async () => {
    const r = await runCli(['info', '--modle', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown option '--modle'/);
    expect(r.stderr).toMatch(/usage: tuneboard info/);
  });
});

describe('tuneboard generate', () => {
  test.each(CASES)('greedy from gen.prompt_ids reproduces gen.base (%s)', async (c) => {
    const ref = readJson(c, 'reference.json');
    const out = json(
      await runCli(['generate', '--model', fixturePath(c, 'model'), '--prompt-ids', ref['gen.prompt_ids'].join(','), '--max-new-tokens', '24', '--greedy', '--ignore-eos', '--backend', 'wasm', '--json']),
    );
    expect(out.backend).toBe('wasm');
    expect(out.ids).toEqual(ref['gen.base']);
    expect(typeof out.text).toBe('string');
  });

  test('--message uses the chat template, sampling is reproducible with a seed', async () => {
    const args = ['generate', '--model', DEMO_MODEL, '--message', 'How do I read a file?', '--max-new-tokens', '12', '--temperature', '0.8', '--top-p', '0.9', '--seed', '7', '--json'];
    const a = json(await runCli(args));
    const b = json(await runCli(args));
    expect(a.ids.length).toBeGreaterThan(0);
    expect(a.ids).toEqual(b.ids);
    const c = json(await runCli([...args.slice(0, -2), '8', '--json']));
    expect(c.ids).not.toEqual(a.ids);
  });

  test('stops at EOS unless told not to', async () => {
    // tiny-qwen2's greedy continuation of this prompt is newline tokens; make the newline an EOS through generation_config.json.
    const dir = join(mkdtempSync(join(tmpdir(), 'tb-eos-')), 'm');
    cpSync(fixturePath('tiny-qwen2', 'model'), dir, { recursive: true });
    writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [2, 206] }));
    const ids = readJson('tiny-qwen2', 'reference.json')['gen.prompt_ids'].join(',');
    const stopped = json(await runCli(['generate', '--model', dir, '--prompt-ids', ids, '--max-new-tokens', '24', '--json']));
    expect(stopped.ids).toEqual([206]);
    const all = json(await runCli(['generate', '--model', dir, '--prompt-ids', ids, '--max-new-tokens', '24', '--ignore-eos', '--json']));
    expect(all.ids).toHaveLength(24);
  });
});
