import { svelte } from '@sveltejs/vite-plugin-svelte';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [svelte()],
  // One copy of tfjs-core: its ESM build, the one whose files register gradients and chained ops.
  resolve: { alias: [{ find: /^@tensorflow\/tfjs-core$/, replacement: '@tensorflow/tfjs-core/dist/index.js' }] },
  test: {
    include: ['tests/**/*.test.ts'],
    // tfjs ships extensionless ESM that Node cannot load directly; let Vite transform it.
    server: { deps: { inline: [/@tensorflow\//] } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // What the engine keeps between runs (tuned GEMM plans) goes to a folder of the test run's, not the user's.
    env: { TUNEBOARD_CACHE_DIR: mkdtempSync(join(tmpdir(), 'tb-test-cache-')) },
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
