// @ts-check
/**
 * `npm run test:mutation` (StrykerJS, pinned in package.json): mutates the modules that decide
 * what happens to a lab and runs the unit suites of jest.mutation.config.js against each mutant.
 * `npm run test:mutation -- --mutate cli/wait-progress.ts` limits it to named files; `.ci/run`
 * does that with the files a change touched (scripts/mutation-changed.js).
 *
 * - inPlace: Stryker's sandbox copy drops the run bit of the stand-ins (a copied
 *   __tests__/support/vboxmanage-standin.js fails with EACCES); in place, it mutates these
 *   files and puts them back when it ends (also on Ctrl-C). Do not commit during a run.
 * - disableTypeChecks false: otherwise it rewrites every .js file (and drops their run bit too);
 *   ts-jest only transpiles here (isolatedModules), so `// @ts-nocheck` is not needed.
 * - The incremental file lives outside the repository (~/.cache/kubelab-stryker), so a re-run
 *   tests only mutants whose code or tests changed.
 */
const os = require('os');
const path = require('path');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
module.exports = {
  testRunner: 'jest',
  jest: { configFile: 'jest.mutation.config.js', enableFindRelatedTests: true },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  inPlace: true,
  disableTypeChecks: false,
  mutate: [
    'config/**/*.ts',
    'cli/k3s/**/*.ts',
    'cli/kubeconfig/**/*.ts',
    'cli/virtualbox/parse.ts',
    'cli/virtualbox/vm-states.ts',
    'cli/ssh/keys.ts',
    'cli/ssh/host-keys.ts',
    'cli/state-dir.ts',
    'cli/wait-progress.ts',
    // constructs/ and stacks/: stryker.constructs.config.js, with the synth suites.
  ],
  incremental: true,
  incrementalFile: process.env.KUBELAB_STRYKER_INCREMENTAL_FILE || path.join(os.homedir(), '.cache', 'kubelab-stryker', 'incremental.json'),
  concurrency: 2,
  // Stryker's deadline per mutant: 1.5 x the test's own time plus this (a mutant that loops ends as a timeout, counted as killed).
  timeoutMS: 10000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
