#!/usr/bin/env node
'use strict';
// `npm run up`, `npm run down`, `npm run diff -- <stack>`: the cdktf CLI for the whole lab,
// with plain lines on every terminal and the phase timings at the end.
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
