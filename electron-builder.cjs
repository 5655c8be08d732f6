// Packaging (npm run dist): Linux AppImage + deb, Windows NSIS, macOS dmg.
// A JS config because a platform's `files` replaces the top-level list (electron-builder 26): each platform
// gets the common list plus the filter that keeps only its own Dawn build.

/**
 * The app is the built output plus the runtime dependencies of out/main (zod, yaml) and of the engine (webgpu and
 * node-llama-cpp, external because of their native modules). tfjs, float16, the tokenizers, jieba-wasm (its .wasm copied beside
 * the engine), chart.js and ws are bundled into out/engine and out/renderer, so their packages stay out. No sources, tests or maps.
 */
const common = [
  'package.json',
  'out/**',
  '!**/*.map',
  // Packages that ship their TypeScript sources (zod) need only their built JavaScript.
  '!node_modules/**/*.{ts,mts,cts}',
  '!node_modules/@tensorflow/**',
  '!node_modules/@petamoriken/**',
  '!node_modules/jieba-wasm/**',
  '!node_modules/@huggingface/**',
  '!node_modules/chart.js/**',
  '!node_modules/@kurkle/**',
  '!node_modules/ws/**',
  '!node_modules/webgpu/build/**',
  '!node_modules/webgpu/node_modules/**',
  // The GGUF check runs llama.cpp on the CPU (gpu: false): its CUDA and Vulkan builds (over 600 MB) stay out.
  '!node_modules/@node-llama-cpp/*-{cuda,cuda-ext,vulkan}/**',
];

/** Only one platform's Dawn: an exclusion of the others (electron-builder does not re-include inside node_modules). */
const onlyDawn = (folder) => [...common, `!node_modules/webgpu/dist/!(${folder})/**`];

/** @type {import('electron-builder').Configuration} */
module.exports = {
  appId: 'dev.tuneboard.app',
  productName: 'TuneBoard',
  copyright: 'Copyright © TuneBoard authors',
  directories: { output: 'dist', buildResources: 'build' },
  files: common,
  // The engine is forked as a process (an ES module that loads Dawn's native module, and llama.cpp's binaries for
  // the GGUF check): they live outside app.asar.
  asarUnpack: ['out/engine/**', 'node_modules/webgpu/**', 'node_modules/node-llama-cpp/**', 'node_modules/@node-llama-cpp/**'],
  extraResources: [
    { from: 'resources/demo-model', to: 'demo-model' },
    { from: 'resources/datasets', to: 'datasets' },
  ],
  // Electron's fuses, flipped in the packed binary before signing. The engine runs as a utility process, so
  // nothing needs ELECTRON_RUN_AS_NODE, NODE_OPTIONS or --inspect, and the app is only ever app.asar.
  // Electron checks app.asar's integrity on macOS and Windows (electron-builder embeds the hashes); on Linux
  // the fuse has no effect. The unpacked engine and Dawn beside app.asar are not covered by it.
  electronFuses: {
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    onlyLoadAppFromAsar: true,
    enableEmbeddedAsarIntegrityValidation: true,
    enableCookieEncryption: true,
    // grantFileProtocolExtraPrivileges stays on: the board is loaded from file:// as ES modules.
  },
  // No native module needs rebuilding for Electron: dawn.node is a prebuilt N-API module.
  npmRebuild: false,
  nodeGypRebuild: false,
  publish: null,
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Development',
    icon: 'build/icon.png',
    files: onlyDawn('linux-${arch}'),
  },
  deb: { maintainer: 'TuneBoard authors <tuneboard@users.noreply.github.com>' },
  win: {
    target: 'nsis',
    icon: 'build/icon.png',
    files: onlyDawn('win32-${arch}'),
  },
  nsis: { oneClick: false, allowToChangeInstallationDirectory: true },
  mac: {
    target: 'dmg',
    category: 'public.app-category.developer-tools',
    icon: 'build/icon.png',
    files: onlyDawn('darwin-universal'),
  },
};
