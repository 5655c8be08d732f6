/** `tuneboard plan`: the forecast headless, its verdict against the device's memory, the fixes, and the probe's time. */
import { describe, expect, test } from 'vitest';
import { json, runCli } from './run-cli';

const demo = ['plan', 'examples/demo.yaml', '--backend', 'wasm'];

describe('tuneboard plan', () => {
  test('forecasts the demo config on wasm against the heap, term by term, and fits', async () => {
    const r = json(await runCli([...demo, '--json']));
    expect(r).toMatchObject({ backend: 'wasm', verdict: 'fits', batch: 4, steps: 100, device: { bytes: 4 * 2 ** 30, source: 'wasm-heap' }, fixes: [], time: null });
    const terms = r.memory.terms as Record<string, number>;
    expect(Object.values(terms).reduce((a, b) => a + b, 0)).toBe(r.memory.total);
    // The demo model's weights (vocabulary 1,024, tied) as wasm keeps them: float32.
    expect(terms['base weights']).toBe(4 * (1024 * 192 + 4 * (192 * 192 * 2 + 192 * 64 * 2 + 3 * 192 * 512 + 2 * 192) + 192));
  });

  test('a device too small: the verdict, and fixes that keep the effective batch, each with its forecast', async () => {
    const r = await runCli([...demo, '--memory', '60MB', 'gradient_accumulation_steps=2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^memory: [\d.]+ MB of 60\.0 MB \(as you said\): will not fit$/m);
    expect(r.stdout).toMatch(/^ {2}smaller batch, more gradient accumulation \(same effective batch\) \(per_device_train_batch_size: 2, gradient_accumulation_steps: 4\): [\d.]+ MB, fits$/m);
  });

  test('--probe trains for about ten seconds and forecasts the time from the speed it measured', async () => {
    const r = json(await runCli([...demo, '--probe', '--json', 'max_steps=30']));
    expect(r.time).toMatchObject({ steps: 30, source: 'probe' });
    expect(r.time.tokensPerSecond).toBeGreaterThan(0);
    expect(r.time.seconds).toBeCloseTo((30 * r.time.tokensPerStep) / r.time.tokensPerSecond, 6);
  });

  test('a size it cannot read is refused before anything starts', async () => {
    const r = await runCli([...demo, '--memory', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--memory must be a size such as 8GB or 24GB, got "lots"');
  });
});
