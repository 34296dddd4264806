/** @type {import('jest').Config} `npm run test:joined`: the lab through npm run up/diff/down on real guests; not part of `npm test`. */
module.exports = {
  ...require('./jest.config'),
  testMatch: ['**/*.joined.ts'],
};
