import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { changedLineRanges } = require('../../scripts/mutation-changed.js') as { changedLineRanges: (diff: string) => [number, number][] };

/**
 * The CI gate mutates only the changed lines of a big module: the ranges come from a real
 * `git diff -U0` between two commits of a scratch repository.
 */
describe('the lines a change wrote, from git diff -U0', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' });
  const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}`);
  beforeAll(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-changed-lines-'));
    git('init', '-q');
  });
  afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

  const rangesAfter = (before: string[], after: string[]) => {
    fs.writeFileSync(path.join(repo, 'm.ts'), `${before.join('\n')}\n`);
    git('add', 'm.ts');
    git('commit', '-q', '--allow-empty', '-m', 'before');
    fs.writeFileSync(path.join(repo, 'm.ts'), `${after.join('\n')}\n`);
    git('commit', '-q', '-am', 'after');
    return changedLineRanges(git('diff', '-U0', '--no-color', 'HEAD~1', 'HEAD', '--', 'm.ts'));
  };

  test('one changed line, a block of added lines, each its own range', () => {
    const after = lines(30);
    after[4] = 'changed 5';
    after.splice(20, 0, 'new a', 'new b', 'new c');
    expect(rangesAfter(lines(30), after)).toEqual([
      [5, 5],
      [21, 23],
    ]);
  });

  test('lines only deleted: the two lines around the gap', () => {
    const after = lines(30);
    after.splice(10, 3);
    expect(rangesAfter(lines(30), after)).toEqual([[10, 11]]);
  });

  test('a new file: all of it', () => {
    fs.rmSync(path.join(repo, 'm.ts'), { force: true });
    git('commit', '-q', '-am', 'gone');
    fs.writeFileSync(path.join(repo, 'm.ts'), `${lines(7).join('\n')}\n`);
    git('add', 'm.ts');
    git('commit', '-q', '-m', 'new');
    expect(changedLineRanges(git('diff', '-U0', '--no-color', 'HEAD~1', 'HEAD', '--', 'm.ts'))).toEqual([[1, 7]]);
  });

  test('no change: no range', () => {
    expect(changedLineRanges('')).toEqual([]);
  });
});
