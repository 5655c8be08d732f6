import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';
import type { Plugin } from 'vite';
import { metaContentSecurityPolicy } from './src-main/protocol/content-security-policy';

/** The page's CSP meta tag, first in <head>, from the policy the app and serve mode send as a header. */
const contentSecurityPolicyMeta: Plugin = {
  name: 'tuneboard-content-security-policy',
  transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: metaContentSecurityPolicy() }, injectTo: 'head-prepend' }],
};

// The engine is not built here: scripts/build-engine.mjs bundles it once for the CLI, serve mode and
// the Electron utility process (out/engine/tuneboard.mjs).
export default defineConfig({
  main: {
    build: { outDir: 'out/main', rollupOptions: { input: { index: resolve('src-main/app/index.ts') } } },
  },
  preload: {
    // A sandboxed preload cannot load modules: bundle everything into one CommonJS file.
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      rollupOptions: { input: { index: resolve('src-main/preload/index.ts') }, output: { format: 'cjs' } },
    },
  },
  renderer: {
    root: 'src-renderer',
    build: { outDir: 'out/renderer', minify: true, rollupOptions: { input: resolve('src-renderer/index.html') } },
    plugins: [svelte(), contentSecurityPolicyMeta],
  },
});
