'use strict';
// Runs kubelab CLI invocations for the cluster tests in a plain Node process, as
// bin/kubelab.js does (cli/main.ts through esbuild), because @kubernetes/client-node
// is ESM-only and cannot load inside jest. One long-lived child serves many runs,
// so the client library loads once. Protocol (IPC): {id, argv, projectDir} in,
// {id, code, out, err} back.
const path = require('path');
const root = path.resolve(__dirname, '..', '..');
const { loadTs } = require(path.join(root, 'bin', 'run-ts'));
const { main } = loadTs(path.join(root, 'cli', 'main.ts'));
const { CliContext } = loadTs(path.join(root, 'cli', 'context.ts'));

process.on('message', async ({ id, argv, projectDir }) => {
  const out = [];
  const err = [];
  const ctx = new CliContext(projectDir, (line) => out.push(line), (line) => err.push(line));
  let code;
  try {
    code = await main(argv, projectDir, ctx);
  } catch (e) {
    err.push(e && e.stack ? e.stack : String(e));
    code = 99;
  }
  process.send({ id, code, out, err });
});
process.send({ ready: true });
