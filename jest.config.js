/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  // tsconfig sets isolatedModules, so ts-jest only transpiles (fast); `npm test` runs `tsc --noEmit` first for the type-check.
  transform: { '^.+\\.ts$': 'ts-jest' },
  testTimeout: 30000,
};
