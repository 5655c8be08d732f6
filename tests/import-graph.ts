/** Who imports whom in the sources: relative imports resolved to repository paths, packages kept by name. */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

/** File (repository path) → what it imports (repository paths, or package specifiers such as `zod`). */
export type ImportGraph = Map<string, string[]>;

const SOURCE = /\.(ts|svelte)$/;
// Static imports and re-exports (type-only ones too: a type is knowledge of the other layer), and import().
const SPECIFIER = /(?:^|[\s;])(?:import|export)\s(?:[^'"]*?\sfrom\s)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

export function importGraph(folders: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const folder of folders) {
    for (const file of sourceFiles(join(ROOT, folder))) {
      const text = readFileSync(file, 'utf8');
      const targets = [...text.matchAll(SPECIFIER)].map((m) => (m[1] ?? m[2])!).map((spec) => resolveSpecifier(file, spec));
      graph.set(relative(ROOT, file), [...new Set(targets)]);
    }
  }
  return graph;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return SOURCE.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function resolveSpecifier(from: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  const base = resolve(dirname(from), spec);
  const candidate = [base, `${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p) && statSync(p).isFile());
  if (!candidate) throw new Error(`${relative(ROOT, from)}: cannot resolve the import '${spec}'`);
  return relative(ROOT, candidate);
}
