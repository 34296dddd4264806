/**
 * `npm run test:mutation:constructs`: the suites Stryker runs against each mutant of constructs/
 * and stacks/ (stryker.constructs.config.js). They synthesize the lab in this process (no cdktf
 * CLI, no child process) and assert what Terraform will do with it: triggers (what re-runs a
 * step), depends_on (the order), the command lines. Kept out of jest.mutation.config.js: they
 * load the whole lab and cdktf, and Stryker's related-test selection would run them for every
 * mutant of config/, which they import. The snapshot suite (app/snapshots) is left out on
 * purpose: a mutant counts as killed when a stated behaviour breaks, not when the output differs.
 */
// One jest worker per Stryker worker, and the tests run as nobody: as for the unit suites (that config drops root when loaded).
const base = require('./jest.mutation.config');

const suites = [
  'app/cli-contract',
  'app/components',
  'app/consistency',
  'app/ha-and-hosts',
  'app/reproducible',
  'app/stacks',
  'charts/namespace-dependencies',
  'cluster/cluster-stacks',
  'constructs/cluster-apps',
  'constructs/k3s-steps',
  'constructs/kubelab-command',
  'constructs/lab-step',
  'constructs/vms-steps',
];

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: suites.map((s) => `<rootDir>/__tests__/${s}.test.ts`),
  // Stryker runs the tests "related" to the mutated file (enableFindRelatedTests), which jest finds by
  // following imports through the files its haste map holds, the `roots`. With only __tests__ there
  // (jest.config.js), a module the tests reach through another one (constructs/k3s-node.ts through
  // stacks/k3s-stack.ts) had no related test: no test ran and every mutant "survived".
  roots: ['<rootDir>'],
  modulePathIgnorePatterns: ['<rootDir>/\\.stryker-tmp/', '<rootDir>/cdktf\\.out/', '<rootDir>/reports/'],
};
