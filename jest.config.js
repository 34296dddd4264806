/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  // tsconfig sets isolatedModules, so ts-jest only transpiles (fast); `npm test` runs `tsc --noEmit` first for the type-check.
  transform: { '^.+\\.ts$': 'ts-jest' },
  testTimeout: 30000,
  // Most suites wait on child processes (sshd, VBoxManage stand-in, CLI runs): two workers halve the wall time on 2 cores.
  maxWorkers: 2,
};
