import { createRequire } from 'module';
import * as path from 'path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { GATED, strykerRunsFor } = require('../../scripts/mutation-changed.js') as {
  GATED: string[];
  strykerRunsFor: (files: string[]) => { config: string; report: string; files: string[] }[];
};
const root = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mutateOf = (config: string): string[] => require(path.join(root, config)).mutate;
// The glob matcher Stryker itself matches `mutate` with: its own dependency minimatch.
const { minimatch } = createRequire(path.join(root, 'node_modules', '@stryker-mutator', 'core', 'package.json'))('minimatch') as {
  minimatch: (file: string, pattern: string) => boolean;
};
const mutates = (config: string, file: string) => mutateOf(config).some((pattern) => minimatch(file, pattern));

/**
 * The CI gate runs each changed module with the Stryker config whose suites test it: constructs/
 * and stacks/ with the synth suites, the rest with the unit suites. A module sent to a config that
 * does not mutate it would end with no report for it.
 */
describe('which Stryker run mutates a gated module', () => {
  test('constructs/ and stacks/ go to the synth suites, the rest to the unit suites, each file once', () => {
    const runs = strykerRunsFor(['config/ipv4.ts', 'constructs/lab-step.ts', 'cli/state-dir.ts', 'stacks/k3s-stack.ts']);
    expect(runs.map((r) => [r.config, r.files])).toEqual([
      ['stryker.constructs.config.js', ['constructs/lab-step.ts', 'stacks/k3s-stack.ts']],
      ['stryker.config.js', ['config/ipv4.ts', 'cli/state-dir.ts']],
    ]);
    expect(new Set(runs.map((r) => r.report)).size).toBe(2);
    expect(strykerRunsFor(['cli/wait-progress.ts']).map((r) => r.config)).toEqual(['stryker.config.js']);
  });

  test("every gated module is in the mutate list of the config it is sent to, and in no other config's", () => {
    for (const run of strykerRunsFor(GATED)) {
      for (const file of run.files) {
        expect([file, run.config, mutates(run.config, file)]).toEqual([file, run.config, true]);
        for (const other of ['stryker.config.js', 'stryker.constructs.config.js'].filter((c) => c !== run.config)) {
          expect([file, other, mutates(other, file)]).toEqual([file, other, false]);
        }
      }
    }
  });
});
