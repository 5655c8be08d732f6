/** `tuneboard bench` through the built command: the result's fields, --save, --cpu-profile, and on webgpu the tensor peak and GPU profile. */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { webgpuTests } from '../webgpu-backend';
import { json, runCli } from './run-cli';

const tiny = ['--shape', 'demo', '--batch', '1', '--seq', '16', '--steps', '2', '--warmup', '1', '--json'];

describe('tuneboard bench', () => {
  test('times steps on wasm, saves the result with its command, and writes a CPU profile of the timed steps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tuneboard-bench-'));
    const profile = join(dir, 'steps.cpuprofile');
    const r = json(await runCli(['bench', ...tiny, '--backend', 'wasm', '--save', dir, '--cpu-profile', profile]));
    expect(r).toMatchObject({ backend: 'wasm', batch: 1, seq: 16, steps: 2, rank: 16, gradientCheckpointing: false, peakAllocatedBytes: null, dispatchesPerStep: null, tuning: null });
    // The tensors' peak on wasm: more than the base weights, which the step's activations and gradients add to.
    expect(r.peakTensorBytes).toBeGreaterThan(r.baseBytes.total);
    expect(r.tokensPerSecond).toBeGreaterThan(0);
    const { total, forward, backward, optimizer } = r.stepSeconds;
    // Each part timed on its own: on wasm, where nothing overlaps, each is some of the step.
    for (const part of [forward, backward, optimizer]) expect(part).toBeGreaterThan(0);
    expect(Math.max(forward, backward, optimizer)).toBeLessThan(total);
    // On wasm the work runs as it is queued: queueing is most of the step.
    expect(r.queueSeconds).toBeGreaterThan(0.5 * total);
    expect(r.queueSeconds).toBeLessThanOrEqual(total);
    expect(r.peakMemory.kind).toBe('process');
    const saved = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(saved).toEqual([expect.stringMatching(/-demo-wasm-b1x16\.json$/)]);
    expect(JSON.parse(readFileSync(join(dir, saved[0]!), 'utf8')).command).toContain('--cpu-profile');
    const v8 = JSON.parse(readFileSync(profile, 'utf8'));
    expect(v8.nodes.length).toBeGreaterThan(10);
    expect(v8.samples.length).toBeGreaterThan(0);
  });

  test('--quantization-bit 4 quantizes the projections on load, which wasm then widens to float32 again', async () => {
    const r = json(await runCli(['bench', ...tiny, '--backend', 'wasm', '--layers', '1', '--vocab', '256', '--quantization-bit', '4']));
    // One layer's projections (192 x 192 x 2, 192 x 64 x 2, 3 x 192 x 512) as float32.
    expect(r).toMatchObject({ storage: 'nf4', baseBytes: { projections: 4 * (192 * 192 * 2 + 192 * 64 * 2 + 3 * 192 * 512) } });
    const bad = await runCli(['bench', '--shape', 'demo', '--quantization-bit', '8']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--quantization-bit must be 4, 16 or 32, got "8"');
  });

  test('cuts a shape down to fewer layers and a smaller vocabulary, and says so; rejects bad flags before starting a backend', async () => {
    const r = json(await runCli(['bench', ...tiny, '--backend', 'wasm', '--layers', '1', '--vocab', '256']));
    expect(r.model).toBe('demo cut to 1 layer, vocab 256 (random weights)');
    expect(r.shape).toMatchObject({ layers: 1, hidden: 192, vocab: 256 });
    // One layer of the demo shape (q, k, v, o, gate, up, down and two norms), the embedding and the final norm.
    const layer = 192 * 192 * 2 + 192 * 64 * 2 + 3 * 192 * 512 + 2 * 192;
    expect(r.shape.parameters).toBe(layer + 256 * 192 + 192);
    const wrong = await runCli(['bench', '--model', 'resources/demo-model', '--layers', '1']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('--layers and --vocab cut down a --shape, not a --model folder');
    // A bad number is reported before any backend starts.
    const bad = await runCli(['bench', '--shape', 'demo', '--batch', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--batch must be an integer >= 1, got "0"');
    expect(bad.stderr).not.toContain('backend');
  });

  test.runIf(webgpuTests)('on webgpu tunes the matrix products, and reports the most bytes tensors held at once, with the pool, the GPU programs a step and their GPU times', async () => {
    const r = json(await runCli(['bench', ...tiny, '--backend', 'webgpu', '--profile']));
    expect(r.backend).toBe('webgpu');
    // The first warm-up step's products, each timed in its candidate plans, the fastest kept (never slower than the rule's).
    const tuned = r.tuning.products as Array<{ product: string; calls: number; candidates: number; ruleMs: number; chosenMs: number }>;
    expect(tuned.length).toBeGreaterThan(10);
    // The demo model is bf16, kept as stored on webgpu: its products read B as bf16.
    expect(tuned.some((p) => p.product === '1x16x512x192 Bᵀ B shared, bf16 + rank 16ᵀ' && p.calls === 8)).toBe(true); // gate and up, 4 layers
    for (const p of tuned) expect(p.chosenMs).toBeLessThanOrEqual(p.ruleMs);
    expect(tuned.reduce((a, p) => a + p.calls, 0)).toBeLessThan(r.dispatchesPerStep);
    // At least the demo model's weights: its 4 layers' projections and its embedding in bf16, its norms in float32.
    const projections = 4 * (192 * 192 * 2 + 192 * 64 * 2 + 3 * 192 * 512);
    expect(r).toMatchObject({ storage: 'auto', baseBytes: { total: 2 * (projections + 1024 * 192) + 4 * 9 * 192, projections: 2 * projections } });
    expect(r.peakTensorBytes).toBeGreaterThan(r.baseBytes.total);
    expect(r.peakAllocatedBytes).toBeGreaterThanOrEqual(r.peakTensorBytes);
    // The demo's 4 layers take dozens of programs each (7 LoRA layers of 3 products forward and 5 backward alone).
    expect(r.dispatchesPerStep).toBeGreaterThan(4 * 7 * 8);
    expect(Number.isInteger(r.dispatchesPerStep)).toBe(true);
    // --profile timed every program of one more step on the GPU, our custom backward passes' included.
    const profile = r.profile as Array<{ kernel: string; ms: number; calls: number }>;
    expect(profile.reduce((a, k) => a + k.calls, 0)).toBe(r.dispatchesPerStep);
    expect(profile.some((k) => k.kernel.startsWith('tbRmsNorm_true('))).toBe(true);
    expect(profile.every((k) => k.ms >= 0)).toBe(true);
    expect(profile.reduce((a, k) => a + k.ms, 0)).toBeGreaterThan(0);
    // --no-tune keeps the built-in rule.
    const untuned = json(await runCli(['bench', ...tiny, '--backend', 'webgpu', '--layers', '1', '--vocab', '256', '--no-tune']));
    expect(untuned.tuning).toBeNull();
    // --quantization-bit 32 widens the weights, 4 keeps the projections as NF4: 4.5 bits a weight and tables.
    const [float32, nf4] = await Promise.all(['32', '4'].map(async (bits) => json(await runCli(['bench', ...tiny, '--backend', 'webgpu', '--layers', '1', '--vocab', '256', '--no-tune', '--quantization-bit', bits]))));
    expect([float32.storage, nf4.storage]).toEqual(['float32', 'nf4']);
    expect(untuned.baseBytes.projections / float32.baseBytes.projections).toBe(0.5);
    expect(nf4.baseBytes.projections / float32.baseBytes.projections).toBeCloseTo(0.134, 3);
  });
});
