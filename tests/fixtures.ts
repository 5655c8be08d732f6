/**
 * Paths into tests/fixtures (reference numbers computed by transformers + PEFT, bitsandbytes' algorithm and
 * LLaMA-Factory's metrics; tests/fixtures/README.md says where each comes from) and readers for them.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SafetensorsFile } from '../src-main/engine/formats/safetensors';

/** The repository's own copy; TUNEBOARD_FIXTURES may point at another (a newer set from the reference tools). */
export const FIXTURES = process.env['TUNEBOARD_FIXTURES'] ? resolve(process.env['TUNEBOARD_FIXTURES']) : join(__dirname, 'fixtures');
/** The demo model is the app's own embedded model: the fixtures' copy of it lives in resources/. */
export const DEMO_MODEL = resolve(__dirname, '../resources/demo-model');
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
