/** @type {import('jest').Config} `npm run test:machines`: existing machines as nodes, on plain real guests; not part of `npm test`; .ci/run runs it after test:guest. */
module.exports = {
  ...require('./jest.config'),
  testMatch: ['**/*.machines.ts'],
};
