/**
 * Packaging with electron-builder, offline: `--dir` (the unpacked app, no installer) with a stand-in
 * Electron distribution (Electron's binary is not downloaded here), then the produced app.asar is listed
 * with @electron/asar: the entry points, the runtime dependencies and only this platform's Dawn are in it,
 * the engine and Dawn are unpacked beside it, the demo model and dataset are extra resources, and no
 * source, test or source map was packed. The Electron fuses are flipped as electron-builder.cjs says: Electron's
 * binary cannot be downloaded here, so the stand-in carries a fuse wire (the sentinel, version, length and
 * Electron's default states) for electron-builder to flip and @electron/fuses to read back.
 */
import { listPackage } from '@electron/asar';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { ROOT, tempDir } from './host-fixtures';

/** Where @electron/fuses finds the fuse wire in an Electron binary. */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron's defaults (docs/tutorial/fuses.md), in wire order: RunAsNode on, cookie encryption off, NODE_OPTIONS on, --inspect on, asar integrity off, only-asar off, browser V8 snapshot off, file: privileges on. */
const ELECTRON_DEFAULT_WIRE = '10110001';

/** A stand-in for the Electron binary: a script that says what it is, with a fuse wire in a comment line. */
function standInElectron(): Buffer {
  return Buffer.concat([
    Buffer.from(`#!/bin/sh\n# fuse wire: ${FUSE_SENTINEL}`),
    Buffer.from([1, ELECTRON_DEFAULT_WIRE.length]),
    Buffer.from(`${ELECTRON_DEFAULT_WIRE}\necho "stand-in for the Electron binary"\n`),
  ]);
}

beforeAll(() => {
  for (const entry of ['out/main/index.js', 'out/preload/index.js', 'out/renderer/index.html', 'out/engine/tuneboard.mjs']) {
    if (!existsSync(join(ROOT, entry))) throw new Error(`${entry} is missing: run \`npm run build\` (npm test does)`);
  }
});

test('electron-builder --dir packs the board, the engine and the demo into the app, with the fuses flipped', { timeout: 300_000 }, async () => {
  const work = tempDir('tb-pack-');
  // Stand-in for Electron's distribution: electron-builder copies it and renames the `electron` binary.
  const electronDist = join(work, 'electron-dist');
  mkdirSync(electronDist);
  writeFileSync(join(electronDist, 'electron'), standInElectron());
  chmodSync(join(electronDist, 'electron'), 0o755);
  const output = join(work, 'dist');
  const builder = join(ROOT, 'node_modules/electron-builder/cli.js');
  const result = spawnSync(
    process.execPath,
    [builder, '--linux', '--dir', `--${process.arch}`, '--publish', 'never', `-c.electronDist=${electronDist}`, `-c.directories.output=${output}`],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', CSC_IDENTITY_AUTO_DISCOVERY: 'false' } },
  );
  expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);

  const resources = join(output, 'linux-unpacked', 'resources');
  const files = new Set(listPackage(join(resources, 'app.asar'), { isPack: false }).map((p) => p.replaceAll('\\', '/')));
  for (const entry of ['/package.json', '/out/main/index.js', '/out/preload/index.js', '/out/renderer/index.html', '/out/engine/tuneboard.mjs', '/out/engine/tfjs-backend-wasm-simd.wasm']) {
    expect(files, entry).toContain(entry);
  }
  // What out/main requires at run time, and Dawn for this platform only.
  for (const dep of ['zod', 'yaml', 'webgpu']) expect(files, dep).toContain(`/node_modules/${dep}/package.json`);
  expect(files).toContain(`/node_modules/webgpu/dist/linux-${process.arch}/dawn.node`);
  const dawns = [...files].filter((f) => /^\/node_modules\/webgpu\/dist\/[^/]+$/.test(f));
  expect(dawns).toEqual([`/node_modules/webgpu/dist/linux-${process.arch}`]);
  // Nothing that is bundled already, no sources, tests or maps.
  const packed = [...files];
  expect(packed.filter((f) => /^\/(src-main|src-renderer|tests|scripts|resources|build)\b/.test(f))).toEqual([]);
  expect(packed.filter((f) => f.endsWith('.map') || f.endsWith('.ts'))).toEqual([]);
  expect(packed.filter((f) => /^\/node_modules\/(@tensorflow|@petamoriken|electron)\//.test(f))).toEqual([]);

  // The engine is a process of its own and loads a native module: both are unpacked beside app.asar.
  expect(existsSync(join(resources, 'app.asar.unpacked/out/engine/tuneboard.mjs'))).toBe(true);
  expect(existsSync(join(resources, `app.asar.unpacked/node_modules/webgpu/dist/linux-${process.arch}/dawn.node`))).toBe(true);
  // llama.cpp's CPU build for the GGUF check, unpacked to load; not its CUDA or Vulkan builds.
  expect(existsSync(join(resources, `app.asar.unpacked/node_modules/@node-llama-cpp/linux-${process.arch}/bins/linux-${process.arch}/llama-addon.node`))).toBe(true);
  expect(packed.filter((f) => /^\/node_modules\/@node-llama-cpp\/[^/]*-(cuda|vulkan)/.test(f))).toEqual([]);
  // The embedded demo model and sample dataset, where the packaged app looks for them (process.resourcesPath).
  for (const f of ['demo-model/config.json', 'demo-model/model.safetensors', 'demo-model/tokenizer.json', 'datasets/sample_alpaca.json']) {
    expect(existsSync(join(resources, f)), f).toBe(true);
  }
  const binary = join(output, 'linux-unpacked', 'tuneboard');
  expect(existsSync(binary)).toBe(true);

  // The fuses, read back from the packed binary: no ELECTRON_RUN_AS_NODE, NODE_OPTIONS or --inspect; only
  // app.asar is loaded (validated where Electron supports it: macOS, Windows); cookies encrypted on disk.
  const wire = await getCurrentFuseWire(binary);
  // Each fuse is a byte: '1' on, '0' off.
  const state = (fuse: FuseV1Options) => ({ '1': 'on', '0': 'off' })[String.fromCharCode(wire[fuse] as number)] ?? `byte ${wire[fuse]}`;
  expect({
    runAsNode: state(FuseV1Options.RunAsNode),
    nodeOptions: state(FuseV1Options.EnableNodeOptionsEnvironmentVariable),
    nodeCliInspect: state(FuseV1Options.EnableNodeCliInspectArguments),
    onlyLoadAppFromAsar: state(FuseV1Options.OnlyLoadAppFromAsar),
    embeddedAsarIntegrityValidation: state(FuseV1Options.EnableEmbeddedAsarIntegrityValidation),
    cookieEncryption: state(FuseV1Options.EnableCookieEncryption),
  }).toEqual({ runAsNode: 'off', nodeOptions: 'off', nodeCliInspect: 'off', onlyLoadAppFromAsar: 'on', embeddedAsarIntegrityValidation: 'on', cookieEncryption: 'on' });
  // The stand-in still runs: the wire sits in a comment, and flipping changed no byte outside it.
  expect(spawnSync(binary, { encoding: 'utf8' }).stdout).toBe('stand-in for the Electron binary\n');
});
