'use strict';
// Runs one of the project's TypeScript entry points without type-checking: esbuild
// bundles our own sources in memory (npm packages stay external and load from
// node_modules), then Node compiles the result. `npm run build` does the type-check.
const esbuild = require('esbuild');
const Module = require('module');
const path = require('path');

function loadTs(entry) {
  const filename = path.resolve(entry);
  const result = esbuild.buildSync({
    entryPoints: [filename],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    write: false,
    sourcemap: 'inline',
    logLevel: 'error',
  });
  process.setSourceMapsEnabled(true);
  const mod = new Module(filename, module);
  mod.filename = filename;
  mod.paths = Module._nodeModulePaths(path.dirname(filename));
  mod._compile(result.outputFiles[0].text, filename);
  return mod.exports;
}

module.exports = { loadTs };
