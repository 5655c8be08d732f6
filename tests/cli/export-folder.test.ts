/** An export replaces its folder: it must refuse every folder it does not own, and change nothing there. */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { fixturePath } from '../fixtures';
import { json, runCli } from './run-cli';

const root = mkdtempSync(join(tmpdir(), 'tb-export-folder-'));
const model = join(root, 'models', 'tiny-llama');
const adapter = join(root, 'runs', 'run-1');
cpSync(fixturePath('tiny-llama', 'model'), model, { recursive: true });
cpSync(fixturePath('tiny-llama', 'adapter_random'), adapter, { recursive: true });
// A training run's folder: its run.json says TuneBoard made it.
writeFileSync(join(adapter, 'run.json'), '{"id": "run-1", "status": "completed"}\n');
const documents = join(root, 'documents');
mkdirSync(documents);
writeFileSync(join(documents, 'notes.txt'), 'my notes');

/** Every file below `dir` with its bytes: what "nothing changed" is checked against. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    if (statSync(path).isFile()) out[name] = readFileSync(path).toString('base64');
  }
  return out;
}

const exportTo = (out: string, extra: string[] = []) => runCli(['export', '--model', model, '--adapter', adapter, '--out', out, '--no-verify', '--overwrite', '--backend', 'wasm', ...extra]);

describe('export --out', () => {
  test.each([
    ['the model folder', model, /is the base model folder/],
    ['a folder inside the model', join(model, 'merged'), /lies inside the base model folder/],
    ['a folder holding the model', dirname(model), /contains the base model folder/],
    ['the adapter (a run) folder', adapter, /is the adapter folder/],
    ['a folder of documents', documents, /already holds files that TuneBoard did not export \(it has no export.json\); they are left as they are/],
    ['a system folder', '/proc/tuneboard-export', /is inside \/proc, a system folder/],
  ])('refuses %s, even with --overwrite, and changes nothing', async (_, out, reason) => {
    const before = [model, adapter, documents].map(snapshot);
    const r = await exportTo(out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(reason);
    expect([model, adapter, documents].map(snapshot)).toEqual(before);
  });

  test('a folder inside a run is refused, naming the run', async () => {
    const other = join(root, 'runs', 'run-2');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'run.json'), '{}');
    const r = await exportTo(join(other, 'export'));
    expect(r.stderr).toContain(`lies inside the training run ${other}`);
    expect(readdirSync(other)).toEqual(['run.json']);
  });

  test('an empty folder is used, and an earlier export replaced only with --overwrite', async () => {
    const out = join(root, 'exports', 'merged');
    mkdirSync(out, { recursive: true });
    json(await exportTo(out, ['--json']));
    expect(readdirSync(out)).toContain('export.json');
    const again = await runCli(['export', '--model', model, '--adapter', adapter, '--out', out, '--no-verify', '--backend', 'wasm']);
    expect(again.stderr).toMatch(/already exists \(an earlier export\)/);
    json(await exportTo(out, ['--json']));
  });
});
