'use strict';
// One racer of the concurrency tests: a plain Node process (so every racer is its own OS
// process, as Terraform's parallel provisioners are) that, when told, runs either a kubelab
// CLI verb (cli/main.ts, bundled as bin/kubelab.js does) or one exported function of a cli/
// module. Each job carries a start time on the shared clock, so the racers of one trial start
// within a millisecond or two of each other instead of one process start-up apart.
// Protocol (IPC): {id, startAt, cli: {argv, projectDir, env?}} or {id, startAt, call: {module, fn, args}} in,
// {id, code, out, err, value?} back. Arguments written {"$buffer": "<base64>"} arrive as Buffers.
const path = require('path');
const root = path.resolve(__dirname, '..', '..');
const { loadTs } = require(path.join(root, 'bin', 'run-ts'));
const loaded = new Map();
const load = (file) => {
  if (!loaded.has(file)) loaded.set(file, loadTs(path.join(root, file)));
  return loaded.get(file);
};
const revive = (v) =>
  v && typeof v === 'object' && !Array.isArray(v)
    ? v.$buffer !== undefined
      ? Buffer.from(v.$buffer, 'base64')
      : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]))
    : Array.isArray(v)
      ? v.map(revive)
      : v;

async function runJob(job) {
  const out = [];
  const err = [];
  if (job.cli) {
    const { main } = load('cli/main.ts');
    const { CliContext } = load('cli/context.ts');
    Object.assign(process.env, job.cli.env ?? {});
    const ctx = new CliContext(job.cli.projectDir, (line) => out.push(line), (line) => err.push(line));
    return { code: await main(job.cli.argv, job.cli.projectDir, ctx), out, err };
  }
  const fn = load(job.call.module)[job.call.fn];
  const value = await fn(...revive(job.call.args));
  return { code: 0, out, err, value: value === undefined ? null : value };
}

process.on('message', (job) => {
  if (job.preload) {
    for (const file of job.preload) load(file);
    return process.send({ id: job.id, code: 0, out: [], err: [] });
  }
  setTimeout(async () => {
    let reply;
    try {
      reply = await runJob(job);
    } catch (e) {
      reply = { code: 99, out: [], err: [e && e.stack ? e.stack : String(e)] };
    }
    process.send({ id: job.id, ...reply });
  }, Math.max(0, job.startAt - Date.now()));
});
process.send({ ready: true });
