'use strict';
// Runs one of the project's TypeScript entry points without type-checking: esbuild
// bundles our own sources in memory (npm packages stay external and load from
// node_modules), then Node compiles the result. `npm run build` does the type-check.
const esbuild = require('esbuild');
const Module = require('module');
const path = require('path');

/**
 * @param entry the .ts file to run
 * @param options.sourceMaps map stack traces to the .ts sources; costs ~0.2 s, because
 *   Node then parses the source maps of every package loaded afterwards too
 */
function loadTs(entry, { sourceMaps = false } = {}) {
  const filename = path.resolve(entry);
  const result = esbuild.buildSync({
    entryPoints: [filename],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    write: false,
    sourcemap: sourceMaps ? 'inline' : false,
    logLevel: 'error',
  });
  if (sourceMaps) process.setSourceMapsEnabled(true);
  const mod = new Module(filename, module);
  mod.filename = filename;
  mod.paths = Module._nodeModulePaths(path.dirname(filename));
  mod._compile(result.outputFiles[0].text, filename);
  return mod.exports;
}

module.exports = { loadTs };
