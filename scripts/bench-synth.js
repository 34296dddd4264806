#!/usr/bin/env node
'use strict';
// `npm run bench:synth`: median wall time and peak RSS of the fast synth path
// (bin/synth.js: esbuild in memory, no type-check) against the same main.ts run
// through ts-node (type-checked), interleaved in one run so both see the same machine.
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const runs = Number(process.env.BENCH_RUNS || 7);
const TARGET = { seconds: 1.0, megabytes: 200, ratio: 4 };

const variants = {
  'fast path (node bin/synth.js)': ['bin/synth.js'],
  'ts-node main.ts': ['-r', 'ts-node/register', 'main.ts'],
};

function runOnce(args) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-bench-'));
  const rssFile = path.join(tmp, 'rss');
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-r', path.join(__dirname, 'peak-rss.js'), ...args], {
    cwd: root,
    env: { ...process.env, CDKTF_OUTDIR: path.join(tmp, 'out'), KUBELAB_BENCH_RSS_FILE: rssFile },
    encoding: 'utf8',
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`synth failed (${args.join(' ')}):\n${result.stderr}`);
  const bytes = Number(fs.readFileSync(rssFile, 'utf8'));
  fs.rmSync(tmp, { recursive: true, force: true });
  return { seconds, megabytes: bytes / 1024 / 1024 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
runOnce(variants['fast path (node bin/synth.js)']); // warm the file cache once, not counted
for (let i = 0; i < runs; i++) for (const [name, args] of Object.entries(variants)) samples[name].push(runOnce(args));

console.log(`synth benchmark: ${runs} runs each, interleaved, ${os.cpus().length} CPUs, node ${process.version}`);
const summary = {};
for (const [name, xs] of Object.entries(samples)) {
  summary[name] = { seconds: median(xs.map((x) => x.seconds)), megabytes: Math.max(...xs.map((x) => x.megabytes)) };
  console.log(`  ${name.padEnd(32)} median ${summary[name].seconds.toFixed(3)} s   peak RSS ${summary[name].megabytes.toFixed(0)} MB`);
}
const [fast, slow] = Object.values(summary);
const ratio = slow.seconds / fast.seconds;
console.log(`  ratio: fast path is ${ratio.toFixed(1)}x faster than ts-node`);
const verdicts = [
  [`median ≤ ${TARGET.seconds} s`, fast.seconds <= TARGET.seconds],
  [`peak RSS ≤ ${TARGET.megabytes} MB`, fast.megabytes <= TARGET.megabytes],
  [`≥ ${TARGET.ratio}x faster than ts-node`, ratio >= TARGET.ratio],
];
for (const [what, ok] of verdicts) console.log(`  target ${what}: ${ok ? 'met' : 'MISSED'}`);
process.exitCode = verdicts.every(([, ok]) => ok) ? 0 : 1;
