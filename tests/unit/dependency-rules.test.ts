/**
 * Dependencies point one way: protocol at the bottom, the engine's layers bottom up (DESIGN.md), the host above
 * the engine, the renderer on the protocol only. Imports are read from the sources, so a wrong one fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importGraph, type ImportGraph } from '../import-graph';

const graph: ImportGraph = importGraph(['src-main', 'src-renderer']);

/**
 * What each engine folder may import besides itself and the engine's root files (errors, seeded-random,
 * cache-dir, version, resources): the layers below it. data/ prepares text and tokens and needs no model.
 */
const ENGINE_LAYERS: Record<string, readonly string[]> = {
  backend: [],
  quant: [],
  metrics: [],
  formats: ['quant'],
  ops: ['backend'],
  model: ['backend', 'ops', 'formats', 'quant'],
  lora: ['backend', 'ops', 'formats', 'quant', 'model'],
  forecast: ['backend', 'ops', 'formats', 'quant', 'model', 'lora'],
  data: ['formats'],
  train: ['backend', 'ops', 'formats', 'quant', 'model', 'lora', 'data'],
  export: ['backend', 'ops', 'formats', 'quant', 'model', 'lora', 'data', 'train'],
  jobs: ['backend', 'ops', 'formats', 'quant', 'metrics', 'model', 'lora', 'forecast', 'data', 'train', 'export'],
  bench: ['backend', 'ops', 'formats', 'quant', 'model', 'lora', 'forecast', 'data', 'train'],
  worker: ['backend', 'ops', 'formats', 'quant', 'metrics', 'model', 'lora', 'data', 'train', 'export', 'jobs'],
};

/** `src-main/engine/<folder>/...` → folder; the engine's root files → null. */
function engineFolder(file: string): string | null {
  const m = /^src-main\/engine\/([^/]+)\//.exec(file);
  return m ? m[1]! : null;
}

/** Every rule broken by `from → to`, in words; empty when the import is allowed. */
export function brokenRules(from: string, to: string): string[] {
  const broken: string[] = [];
  const isPackage = !to.startsWith('src-');
  if (from.startsWith('src-main/protocol/') && !isPackage && !to.startsWith('src-main/protocol/')) broken.push('protocol/ imports only protocol/');
  if (from.startsWith('src-renderer/') && !isPackage && !to.startsWith('src-renderer/') && !to.startsWith('src-main/protocol/')) broken.push('the renderer imports only protocol/');
  if (from.startsWith('src-main/engine/')) {
    if (to === 'electron') broken.push('the engine has no Electron import');
    if (/^src-main\/(app|runs|serve|preload|cli)\//.test(to)) broken.push('the engine imports nothing from the host or the CLI');
    const a = engineFolder(from);
    const b = to.startsWith('src-main/engine/') ? engineFolder(to) : null;
    if (a && b && a !== b && !ENGINE_LAYERS[a]?.includes(b)) broken.push(`engine/${a}/ may not import engine/${b}/ (layers point down)`);
  }
  return broken;
}

/** The host's processes (Electron main, serve mode, run manager) stay free of tfjs: the engine runs in its own process. */
const HOST = /^src-main\/(app|runs|serve|preload)\//;

describe('dependency rules', () => {
  it('finds the imports it checks (a scanner that sees nothing would pass everything)', () => {
    expect(graph.get('src-main/engine/model/causal-lm.ts')).toContain('src-main/engine/backend/tf.ts');
    expect(graph.get('src-renderer/state/board.svelte.ts')?.some((t) => t.startsWith('src-main/protocol/'))).toBe(true);
    expect(graph.get('src-renderer/App.svelte')?.length).toBeGreaterThan(0);
    expect(graph.size).toBeGreaterThan(200);
  });

  it('every import follows the layer rules', () => {
    const violations = [...graph].flatMap(([from, tos]) => tos.flatMap((to) => brokenRules(from, to).map((rule) => `${from} → ${to}: ${rule}`)));
    expect(violations).toEqual([]);
  });

  it('the rules catch a wrong import', () => {
    expect(brokenRules('src-main/protocol/board-api.ts', 'src-main/engine/data/preview.ts')).not.toEqual([]);
    expect(brokenRules('src-main/engine/data/tokenize.ts', 'src-main/engine/model/loss.ts')).not.toEqual([]);
    expect(brokenRules('src-main/engine/train/trainer.ts', 'src-main/engine/jobs/memory.ts')).not.toEqual([]);
    expect(brokenRules('src-renderer/state/board.svelte.ts', 'src-main/engine/errors.ts')).not.toEqual([]);
    expect(brokenRules('src-main/engine/model/causal-lm.ts', 'src-main/engine/ops/gemm/gemm.ts')).toEqual([]);
  });

  it('the host never loads tfjs: what it imports from the engine is plain Node', () => {
    const reach = (file: string, seen = new Set<string>()): Set<string> => {
      for (const to of graph.get(file) ?? []) if (!seen.has(to)) seen.add(to), reach(to, seen);
      return seen;
    };
    const offending = [...graph.keys()].filter((f) => HOST.test(f)).flatMap((f) => [...reach(f)].filter((t) => t.startsWith('@tensorflow/')).map((t) => `${f} reaches ${t}`));
    expect([...new Set(offending)]).toEqual([]);
    // The scanner follows chains: the engine's trainer does reach tfjs.
    expect([...reach('src-main/engine/train/trainer.ts')].some((t) => t.startsWith('@tensorflow/'))).toBe(true);
  });

  it('electron-vite builds the main process without tfjs (its bundle requires only what the app packs)', () => {
    const required = [...readFileSync('out/main/index.js', 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!);
    expect(required).toContain('zod');
    expect(required.filter((r) => !r.startsWith('node:') && !['electron', 'url', 'zod', 'yaml'].includes(r))).toEqual([]);
  });
});
