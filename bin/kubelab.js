#!/usr/bin/env node
'use strict';
// The kubelab CLI. Terraform's provisioners run it as `node ../../../bin/kubelab.js <verb> ...`.
const path = require('path');
const projectDir = path.resolve(__dirname, '..');
const { main } = require('./run-ts').loadTs(path.join(projectDir, 'cli', 'main.ts'), {
  // Stack traces that point into the .ts sources, for bug reports.
  sourceMaps: Boolean(process.env.KUBELAB_DEBUG),
});
main(process.argv.slice(2), projectDir).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err && err.stack ? err.stack : String(err));
    process.exitCode = 1;
  },
);
