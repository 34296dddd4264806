'use strict';
const fs = require('fs');

/**
 * Whether this process sees no network interface but loopback, as in a namespace made with
 * `unshare --net`: then nothing it sends can leave the machine. Read from /proc/net/dev,
 * which lists the interfaces of the reader's own network namespace (/sys/class/net shows
 * those of the namespace /sys was mounted in). Linux only; elsewhere the answer is no.
 */
function onlyLoopback() {
  try {
    const names = fs
      .readFileSync('/proc/net/dev', 'utf8')
      .split('\n')
      .slice(2)
      .map((line) => line.split(':')[0].trim())
      .filter(Boolean);
    return names.every((name) => name === 'lo');
  } catch {
    return false;
  }
}

module.exports = { onlyLoopback };
