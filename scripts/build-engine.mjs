// Bundles the engine and the `tuneboard` command into out/engine/tuneboard.mjs.
// The same file is the CLI, the serve-mode engine child and the Electron utility process.
// tfjs is bundled from its ESM build (one copy, gradients registered); native packages stay external.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const outdir = 'out/engine';
mkdirSync(outdir, { recursive: true });

await build({
  entryPoints: { tuneboard: 'src-main/cli/main.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  mainFields: ['module', 'main'],
  external: ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'electron', 'node-llama-cpp'],
  // Bundled CommonJS dependencies use require() and __dirname; give the ES module both.
  banner: {
    js: [
      "import { createRequire as __tbCreateRequire } from 'node:module';",
      "import { fileURLToPath as __tbFileURLToPath } from 'node:url';",
      'const require = __tbCreateRequire(import.meta.url);',
      'const __filename = __tbFileURLToPath(import.meta.url);',
      "const __dirname = __filename.replace(/[\\\\/][^\\\\/]*$/, '');",
    ].join('\n'),
  },
  sourcemap: 'linked',
  logLevel: 'warning',
  logOverride: { 'empty-import-meta': 'silent' },
});

// The wasm backend and jieba-wasm (word splitting for the generation metrics) load their binaries from beside the bundle.
const wasmDist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
for (const f of readdirSync(wasmDist).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDist, f), join(outdir, f));
copyFileSync(join(dirname(require.resolve('jieba-wasm')), 'jieba_rs_wasm_bg.wasm'), join(outdir, 'jieba_rs_wasm_bg.wasm'));
