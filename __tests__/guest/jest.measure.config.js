/** @type {import('jest').Config} `npm run measure:joins`: the join-timeline measurement on real guests; not a test suite (neither `npm test` nor .ci/run runs it). */
module.exports = {
  ...require('./jest.config'),
  testMatch: ['**/*.measure.ts'],
};
