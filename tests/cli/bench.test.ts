/** `tuneboard bench` through the built command: the result's fields, --save, --cpu-profile, and the tensor peak on webgpu. */
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
    expect(r).toMatchObject({ backend: 'wasm', batch: 1, seq: 16, steps: 2, rank: 16, gradientCheckpointing: false, peakTensorBytes: null });
    expect(r.tokensPerSecond).toBeGreaterThan(0);
    const { total, forward, backward, optimizer } = r.stepSeconds;
    expect(forward + backward + optimizer).toBeCloseTo(total, 6);
    expect(r.peakMemory.kind).toBe('process');
    const saved = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(saved).toEqual([expect.stringMatching(/-demo-wasm-b1x16\.json$/)]);
    expect(JSON.parse(readFileSync(join(dir, saved[0]!), 'utf8')).command).toContain('--cpu-profile');
    const v8 = JSON.parse(readFileSync(profile, 'utf8'));
    expect(v8.nodes.length).toBeGreaterThan(10);
    expect(v8.samples.length).toBeGreaterThan(0);
  });

  test.runIf(webgpuTests)('on webgpu reports the most bytes tensors held at once', async () => {
    const r = json(await runCli(['bench', ...tiny, '--backend', 'webgpu']));
    expect(r.backend).toBe('webgpu');
    // At least the demo model's 1.77 M float32 weights.
    expect(r.peakTensorBytes).toBeGreaterThan(1.77e6 * 4);
  });
});
