/** Paths into ../shared/fixtures (reference numbers computed by transformers + PEFT) and readers for them. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SafetensorsFile } from '../src-main/engine/formats/safetensors';

/**
 * `../shared/fixtures` beside the checkout, or beside the repository it was cloned from (CI clones into /tmp);
 * TUNEBOARD_FIXTURES overrides both. When none exists the tests fail naming the first.
 */
function findFixtures(): string {
  const override = process.env['TUNEBOARD_FIXTURES'];
  if (override) return resolve(override);
  const beside = resolve(__dirname, '../../shared/fixtures');
  if (existsSync(beside)) return beside;
  try {
    const origin = execFileSync('git', ['remote', 'get-url', 'origin'], { cwd: __dirname, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const besideOrigin = resolve(origin, '../shared/fixtures');
    if (existsSync(besideOrigin)) return besideOrigin;
  } catch {
    // not a clone, or no git: only the checkout's own neighbour counts
  }
  return beside;
}

export const FIXTURES = findFixtures();
export const CASES = ['tiny-llama', 'tiny-qwen2'] as const;
export type Case = (typeof CASES)[number];

export const fixturePath = (...parts: string[]) => join(FIXTURES, ...parts);

export function readJson<T = any>(...parts: string[]): T {
  return JSON.parse(readFileSync(fixturePath(...parts), 'utf8')) as T;
}

export async function readReference(c: Case): Promise<Map<string, { shape: readonly number[]; values: Float32Array | Int32Array }>> {
  const file = await SafetensorsFile.open(fixturePath(c, 'reference.safetensors'));
  const out = new Map<string, { shape: readonly number[]; values: Float32Array | Int32Array }>();
  for (const [name, info] of file.tensors) out.set(name, { shape: info.shape, values: await file.read(name) });
  await file.close();
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

export const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
