import { execFileSync, spawnSync } from 'child_process';
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

/**
 * The gate run end to end in a scratch copy, with a Stryker that ends well but writes no report
 * (a reporter or path changed): a whole gated module with no verdict must fail the gate.
 */
describe('the mutation gate when Stryker writes no report', () => {
  let root: string;
  const git = (...args: string[]) => execFileSync('git', ['-C', root, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' });
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-gate-'));
    fs.chmodSync(root, 0o755); // the gate checks that user nobody can read the clone
    const src = path.resolve(__dirname, '..', '..');
    for (const f of ['scripts/mutation-changed.js', 'package.json']) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.copyFileSync(path.join(src, f), path.join(root, f));
    }
    // STAND-INs: the namespace wrapper runs its command as it is; Stryker exits 0 and writes nothing.
    fs.mkdirSync(path.join(root, '__tests__', 'support'), { recursive: true });
    fs.writeFileSync(path.join(root, '__tests__', 'support', 'in-loopback-netns.js'), "const r = require('child_process').spawnSync(process.argv[3], process.argv.slice(4)); process.exit(r.status ?? 1);\n");
    fs.mkdirSync(path.join(root, 'node_modules', '.bin'), { recursive: true });
    fs.writeFileSync(path.join(root, 'node_modules', '.bin', 'stryker'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    fs.writeFileSync(path.join(root, '.gitignore'), 'node_modules\n');
    fs.mkdirSync(path.join(root, 'config'));
    fs.writeFileSync(path.join(root, 'config', 'registries.ts'), 'export const a = 1;\n');
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'before');
    fs.writeFileSync(path.join(root, 'config', 'registries.ts'), 'export const a = 2;\n');
    git('commit', '-qam', 'a gated module changed');
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('fails and says that Stryker wrote no report', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'mutation-changed.js'), 'HEAD~1'], { cwd: root, encoding: 'utf8' });
    expect(r.stdout).toContain('mutating config/registries.ts');
    expect(r.stderr).toMatch(/Stryker wrote no report .* for config\/registries\.ts/);
    expect(r.status).toBe(1);
  });
});
