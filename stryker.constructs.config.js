// @ts-check
/**
 * `npm run test:mutation:constructs`: StrykerJS over constructs/ and stacks/ (what the lab's
 * Terraform is: steps, their triggers, order and command lines), with the in-process synth
 * suites of jest.mutation.constructs.config.js. Everything else as in stryker.config.js (in
 * place: do not commit during a run). One module: `npm run test:mutation:constructs -- --mutate
 * constructs/lab-step.ts`.
 */
const base = require('./stryker.config');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
module.exports = {
  ...base,
  jest: { ...base.jest, configFile: 'jest.mutation.constructs.config.js' },
  mutate: ['constructs/**/*.ts', 'stacks/**/*.ts'],
  htmlReporter: { fileName: 'reports/mutation/constructs.html' },
  jsonReporter: { fileName: 'reports/mutation/constructs.json' },
};
