#!/usr/bin/env node
// The `tuneboard` command. The engine is bundled by `npm install` (prepare) or `npm run build`.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const bundle = join(__dirname, '..', 'out', 'engine', 'tuneboard.mjs');
if (!existsSync(bundle)) {
  process.stderr.write('error: the engine is not built yet.\nRun `npm install` (or `npm run build:engine`) in the TuneBoard folder first.\n');
  process.exit(1);
}
import(pathToFileURL(bundle).href);
