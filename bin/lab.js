#!/usr/bin/env node
'use strict';
// `npm run up`, `npm run down`, `npm run diff -- <stack>` (up and down also take stacks, and --verbose):
// the config and host checked first, then the cdktf CLI phase by phase with plain lines on every
// terminal, and the phase and step timings at the end (cli/deploy/cdktf-run.ts).
const path = require('path');
const projectDir = path.resolve(__dirname, '..');
const { runCdktf } = require('./run-ts').loadTs(path.join(projectDir, 'cli', 'deploy', 'cdktf-run.ts'));
const [script, ...extra] = process.argv.slice(2);
runCdktf(script, extra, { projectDir, out: (l) => console.log(l), err: (l) => console.error(l) }).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err && err.stack ? err.stack : String(err));
    process.exitCode = 1;
  },
);
