/** `npm run test:plan`: every step Terraform runs, from its planned triggers against another lab's config (not part of `npm test`). */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/__tests__/plan'],
  testMatch: ['**/*.plan.ts'],
  testTimeout: 300000,
};
