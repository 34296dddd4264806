/**
 * `npm run test:mutation`: the suites Stryker runs against each mutant. Only suites that run
 * the code in this process (Stryker's per-test coverage sees them) and take a second or less:
 * no real sshd, no VBoxManage stand-in, no CLI child processes. Those slower suites guard the same
 * modules in `npm test` and the heavier suites; with them here, Stryker's related-test selection
 * pulled them in for any module they import and one file took over an hour on 2 cores.
 * Bash is fine: the node and registries scripts are rendered here and run by bash in a temp dir.
 */
const base = require('./jest.config');
const { dropRoot } = require('./__tests__/support/drop-root');

const suites = [
  'cli/file-lock',
  'cli/step-spec',
  'cli/wait-deadline',
  'cli/wait-progress',
  'config/bad-inputs',
  'config/default-lab',
  'config/existing-host',
  'config/ipv4',
  'config/lab-nodes',
  'config/lab-config',
  'config/lab-config-checks',
  'config/lab-config-fields',
  'config/lab-urls',
  'config/load-file',
  'config/paths',
  'config/proxy-environment',
  'config/proxy-credentials',
  'config/registries-config',
  'config/step-spec-parts',
  'config/topology',
  'config/write-it-right',
  'image/proxy',
  'k3s/check-race',
  'k3s/cluster-join',
  'k3s/commands',
  'k3s/etcd-member',
  'k3s/flannel-iface',
  'k3s/installer-arch',
  'k3s/installer-files',
  'k3s/machine-records',
  'k3s/node-change-lock',
  'k3s/node-change-lock-waits',
  'k3s/node-script-run',
  'k3s/prune-nodes',
  'k3s/readiness',
  'k3s/registries',
  'k3s/release-cache',
  'k3s/remote',
  'k3s/service-ready',
  'k3s/ssh-port',
  'k3s/step-flow',
  'k3s/step-plan',
  'k3s/token',
  'k3s/uninstall-flow',
  'k3s/uninstall-script',
  'kubeconfig/kubeconfig-files',
  'kubeconfig/fetch',
  'kubeconfig/merge',
  'kubeconfig/merge-edges',
  'kubeconfig/unmerge-record',
  'ssh/destroy-forgets-pin',
  'ssh/key-redraw',
  'ssh/keys',
  'ssh/pins',
  'ssh/ssh-key',
  'state-dir/permissions',
  'state-dir/write-files',
  'virtualbox/commands',
  'virtualbox/parse',
  'virtualbox/vm-states',
];

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: suites.map((s) => `<rootDir>/__tests__/${s}.test.ts`),
  // Stryker runs its own workers (concurrency in stryker.config.js); one jest worker each.
  maxWorkers: 1,
  // The mutants' tests never run as root (see the file): read here, in Stryker's test runner process, before any test.
  cacheDirectory: dropRoot(),
};
