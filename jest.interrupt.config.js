/** `npm run test:interrupt`: verbs interrupted after each creating VBoxManage call (not part of `npm test`: ~35 s of CPU). */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/__tests__/interrupt'],
  testMatch: ['**/*.interrupt.ts'],
  testTimeout: 300000,
};
