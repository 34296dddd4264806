'use strict';
/*
 * Mutation testing runs the tests against code that is wrong on purpose. Run as root (CI is,
 * and so is this machine), a mutant of a file-system helper could change files of the machine:
 * a mutant of ensurePrivateDir (cli/state-dir.ts) that walks one level too far up chmods /tmp
 * or / to 0700. So the process that runs the mutants' tests gives up root first and runs as
 * `nobody` (65534), with a HOME and jest cache of its own: such a mutant then fails with EPERM
 * (and is killed) instead of breaking the machine. The project files are world-readable; the
 * suites in jest.mutation.config.js pass as an unprivileged user.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');

const NOBODY = 65534;

/** Drops root (no-op for another user or on Windows); returns the jest cache dir to use. */
function dropRoot() {
  const cacheDirectory = path.join(os.tmpdir(), `kubelab-mutation-${NOBODY}`);
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return path.join(os.tmpdir(), `kubelab-mutation-${process.getuid?.() ?? 'user'}`);
  fs.mkdirSync(cacheDirectory, { recursive: true, mode: 0o700 });
  fs.chownSync(cacheDirectory, NOBODY, NOBODY);
  process.env.HOME = cacheDirectory;
  process.setgroups([NOBODY]);
  process.setgid(NOBODY);
  process.setuid(NOBODY);
  return cacheDirectory;
}

module.exports = { dropRoot };
