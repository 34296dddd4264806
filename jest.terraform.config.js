/** `npm run test:terraform`: the real cdktf CLI and terraform binary (not part of `npm test`). */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/__tests__/terraform'],
  testMatch: ['**/*.terraform.ts'],
  // Scenarios build on each other's lab: one file, in order.
  maxWorkers: 1,
  testTimeout: 300000,
  reporters: ['default', '<rootDir>/__tests__/terraform/summary-reporter.js'],
};
