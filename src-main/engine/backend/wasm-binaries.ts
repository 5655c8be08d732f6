import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The folder of tfjs's .wasm binaries: beside the bundle when bundled (build-engine.mjs copies them), else in node_modules. */
export function wasmBinariesDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  if (existsSync(join(here, 'tfjs-backend-wasm-simd.wasm'))) return here + '/';
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist/';
}
