#!/usr/bin/env node
'use strict';
/*
 * `node __tests__/support/in-loopback-netns.js <suite> <command…>`: runs a test suite's
 * command in a network namespace that has nothing but loopback, so a probe of a node
 * address (192.168.56.x) or of doctor's 203.0.113.1 never leaves this machine. Used by the
 * npm scripts whose tests can reach a node address.
 *   - Already in such a namespace (no interface but lo): runs the command as it is.
 *   - Else makes one with `unshare --net` (root), or `unshare --user --map-root-user --net`
 *     (a user allowed user namespaces), brings lo up inside, and says so.
 *   - Else runs the command as it is and says the probing scenarios will refuse to run
 *     (they check for themselves: ./loopback-only.ts).
 */
const { spawnSync } = require('child_process');
const { onlyLoopback } = require('./loopback-only-check');

const [suite, ...command] = process.argv.slice(2);
if (!suite || command.length === 0) {
  process.stderr.write('usage: node __tests__/support/in-loopback-netns.js <suite> <command…>\n');
  process.exit(2);
}

function run(argv) {
  // Windows finds jest.cmd only through a shell.
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.error) {
    process.stderr.write(`${suite}: cannot run ${argv[0]}: ${r.error.message}\n`);
    process.exit(1);
  }
  process.exit(r.status ?? 1);
}

if (onlyLoopback()) run(command);

const inside = ['sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...command];
for (const unshare of [['unshare', '--net'], ['unshare', '--user', '--map-root-user', '--net']]) {
  if (process.platform === 'linux' && spawnSync(unshare[0], [...unshare.slice(1), 'true'], { stdio: 'ignore' }).status === 0) {
    process.stdout.write(`${suite}: running in a network namespace of its own with only loopback (${unshare.join(' ')}), so no probe leaves this machine\n`);
    run([...unshare, ...inside]);
  }
}
process.stderr.write(
  `${suite}: cannot make a network namespace here (unshare --net needs root, or user namespaces); running without one, and the scenarios that reach node addresses refuse to run\n`,
);
run(command);
