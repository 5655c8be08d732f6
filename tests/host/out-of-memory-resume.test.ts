/**
 * A run out of memory through the host: in an engine process with TUNEBOARD_MEMORY_LIMIT set, the run fails with
 * the record of it in its summary and stays resumable; a resume with a fix finishes it and writes the fix into its
 * config.yaml, and a resume that would change lora_rank is refused. An engine process that V8 ends for a full
 * JavaScript heap is told apart from one that crashed otherwise.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { UserError } from '../../src-main/engine/errors';
import { readMetrics } from '../../src-main/engine/train/run-files';
import { EngineConnection } from '../../src-main/runs/engine-connection';
import { EngineProcessEnded, type EngineTransport } from '../../src-main/runs/engine-host';
import { forkEngineLauncher } from '../../src-main/runs/fork-engine';
import { RunManager } from '../../src-main/runs/run-manager';
import { memoryLimitFor, outOfMemorySettings, uniformLengthDataset } from '../out-of-memory-run';
import { EventLog } from './event-log';
import { ENGINE_BUNDLE, ROOT, requireBundle, shortConfig, tempDir } from './host-fixtures';

beforeAll(requireBundle);

test('a run out of memory is resumable with a fix, which its config then holds; a new lora_rank is refused', async () => {
  const settings = outOfMemorySettings(uniformLengthDataset(), { max_steps: 6 });
  const limit = await memoryLimitFor(settings, 'wasm');
  const unlimited = forkEngineLauncher(ENGINE_BUNDLE);
  const limited = forkEngineLauncher(ENGINE_BUNDLE, { ...process.env, TUNEBOARD_MEMORY_LIMIT: String(limit) });
  let launch = unlimited;
  const log = new EventLog();
  const runs = new RunManager({ runsDir: join(tempDir('tb-oom-runs-'), 'runs'), launchEngine: () => launch(), emit: log.sink, baseDir: ROOT });

  // A checkpoint first, with no limit: the run is stopped after its first one.
  const { id } = await runs.start(settings, 'wasm');
  const dir = join(runs.runsDir, id);
  await log.waitFor('run:log', (l) => l.id === id && /checkpoint saved/.test(l.line));
  runs.stop(id);
  const stopped = await log.waitFor('run:changed', (s) => s.id === id && s.status === 'stopped');
  const next = stopped.stepsDone + 1;
  expect(next).toBeLessThanOrEqual(6);

  launch = limited;
  await runs.resume(id, 'wasm');
  const failed = await log.waitFor('run:changed', (s) => s.id === id && s.status === 'failed');
  expect(failed.resumable).toBe(true);
  expect(failed.error).toMatch(new RegExp(`^ran out of the wasm heap at step ${next} while computing the (forward pass|backward pass|optimizer update): .+ needed, .+ available\\nResume with one of: `));
  expect(failed.outOfMemory).toMatchObject({ step: next, memory: 'the wasm heap', availableBytes: limit });
  const fix = failed.outOfMemory!.fixes[0]!;
  expect(fix).toMatchObject({ verdict: 'fits', resumable: true });
  expect((await runs.list())[0]).toMatchObject({ id, status: 'failed', resumable: true, outOfMemory: failed.outOfMemory });

  const refused = await runs.resume(id, 'wasm', { lora_rank: 4 }).then(() => null, (err: unknown) => err);
  expect(refused).toBeInstanceOf(UserError);
  expect((refused as UserError).message).toBe('lora_rank cannot change when a run resumes: its checkpoint holds an adapter of rank 8');
  expect(readFileSync(join(dir, 'config.yaml'), 'utf8')).toContain('per_device_train_batch_size: 4');

  await runs.resume(id, 'wasm', fix.changes);
  const done = await log.waitFor('run:changed', (s) => s.id === id && s.status === 'completed');
  expect(done).toMatchObject({ stepsDone: 6, error: null, resumable: false, outOfMemory: null });
  expect((await readMetrics(dir)).map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
  const config = readFileSync(join(dir, 'config.yaml'), 'utf8');
  for (const [key, value] of Object.entries(fix.changes)) expect(config).toMatch(new RegExp(`^${key}: ${String(value)}$`, 'm'));
  expect(config).not.toMatch(/^resume_from_checkpoint: true$/m);
});

/** An engine process over a transport the test drives: it writes to stderr, then ends. */
function fakeEngine(): { engine: EngineConnection; stderr(chunk: string): void; exit(code: number | null, signal: string | null): void } {
  let onStderr: (chunk: string) => void = () => {};
  let onExit: (code: number | null, signal: string | null) => void = () => {};
  const transport: EngineTransport = {
    pid: 4242,
    send: () => {},
    onMessage: () => {},
    onStderr: (listener) => (onStderr = listener),
    onExit: (listener) => (onExit = listener),
    kill: () => {},
  };
  return { engine: new EngineConnection(transport), stderr: (chunk) => onStderr(chunk), exit: (code, signal) => onExit(code, signal) };
}

test("V8's \"JavaScript heap out of memory\" marks the engine's end as out of memory, even past the kept stderr", async () => {
  const { engine, stderr, exit } = fakeEngine();
  const job = engine.run('backend:probe', { backend: 'wasm' });
  stderr('<--- Last few GCs --->\n');
  // Split across chunks, as a pipe may deliver it; then a native stack trace longer than the tail that is kept.
  stderr('FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap ');
  stderr('out of memory\n');
  for (let i = 0; i < 200; i++) stderr(` ${i}: 0xb0e6b8 node::OOMErrorHandler(char const*, v8::OOMDetails const&) [node]\n`);
  exit(null, 'SIGABRT');
  const exited = await engine.exited;
  expect(exited).toMatchObject({ signal: 'SIGABRT', requested: false, outOfMemory: 'javascript heap' });
  expect(exited.stderrTail).not.toContain('JavaScript heap out of memory');
  const lost = await job.result.then(() => null, (err: unknown) => err);
  expect(lost).toBeInstanceOf(EngineProcessEnded);
  expect((lost as EngineProcessEnded).exit.outOfMemory).toBe('javascript heap');

  const other = fakeEngine();
  other.stderr('Segmentation fault\n');
  other.exit(null, 'SIGSEGV');
  expect((await other.engine.exited).outOfMemory).toBeNull();
});

test('a run whose engine V8 ended for memory fails as "ran out of RAM", with what to do', async () => {
  const log = new EventLog();
  const fake = fakeEngine();
  const runs = new RunManager({ runsDir: join(tempDir('tb-oom-runs-'), 'runs'), launchEngine: () => fake.engine, emit: log.sink, baseDir: ROOT });
  const { id } = await runs.start(shortConfig(), 'wasm');
  fake.stderr('FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n');
  fake.exit(null, 'SIGABRT');
  const failed = await log.waitFor('run:changed', (s) => s.id === id && s.status === 'failed');
  expect(failed.error).toBe(
    "ran out of RAM before the first step: the engine process's JavaScript heap is full (V8: JavaScript heap out of memory)\n" +
      'Start the run again with a smaller per_device_train_batch_size (and more gradient_accumulation_steps), a shorter cutoff_len, or gradient_checkpointing: true; or free memory used by other programs.',
  );
  expect(failed.resumable).toBe(false);
});
