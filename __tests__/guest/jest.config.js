/** @type {import('jest').Config} `npm run test:guest`: real guests under qemu; not part of `npm test`. */
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__/guest'],
  testMatch: ['**/*.guest.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testTimeout: 45 * 60 * 1000,
  // One file at a time: the files share run.sh's network namespace, and guests under emulation share 2 cores.
  maxWorkers: 1,
};
