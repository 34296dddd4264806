/** `npm run test:interrupt`: verbs interrupted after each creating VBoxManage call, and `vm create` killed half-way then run again (not part of `npm test`: ~35 s of CPU and ~20 s of waiting). */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/__tests__/interrupt'],
  testMatch: ['**/*.interrupt.ts'],
  testTimeout: 300000,
};
