import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DocCommand, checkCommand, words } from '../support/command-rules';
import { hasTool } from '../support/tools';

/**
 * Every command in README.md and docs/ (also docs/ko/) must run as written in cmd.exe,
 * PowerShell and sh. No cmd or PowerShell runs on this machine, so their rules are checked
 * as rules (unverified here; from the shells' documented behaviour):
 * - cmd.exe passes single quotes on as part of the argument ('*' arrives as '*' with its quotes,
 *   the report in issue 12) and has no comments after a command, no `&&`-free PowerShell 5.1 either;
 * - `$`, `%`, backticks, `~`, `VAR=value cmd` and `\` line ends each mean something in one shell and not in another;
 * - double quotes are removed by all three before the program sees the argument.
 * sh itself is real: each command line is run by /bin/sh with npm and npx replaced by
 * functions that print their arguments, in a directory full of files so an unquoted `*` would show.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const pagesIn = (dir: string) => fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith('.md')).map((f) => `${dir}/${f}`);
/** Every page in both languages: the English ones and every Korean one in docs/ko/. */
const DOCS = ['README.md', ...pagesIn('docs'), ...pagesIn('docs/ko')];
/** Words that start a command line inside a code block (anything else there is output or a diagram). */
const COMMAND_START = /^(npm|npx|kubelab|kubectl|cdktf)(\s|$)/;

function commandsOf(file: string): DocCommand[] {
  const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const found: DocCommand[] = [];
  let fence: string | undefined;
  lines.forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    const f = /^```(\S*)/.exec(line);
    if (f) {
      fence = fence === undefined ? f[1] : undefined;
      return;
    }
    if (fence !== undefined) {
      if (!['yaml', 'json', 'text'].includes(fence) && COMMAND_START.test(line)) found.push({ where, text: line, verbatim: true });
      return;
    }
    for (const m of line.matchAll(/`([^`]+)`/g)) {
      // In prose, `kubectl top` names a kubectl feature; a kubelab, npx, npm or cdktf span is something to type.
      if (COMMAND_START.test(m[1]) && !m[1].startsWith('kubectl') && m[1].includes(' ')) found.push({ where, text: m[1].replace(/\\\|/g, '|'), verbatim: false });
    }
  });
  return found;
}

const ALL = DOCS.flatMap(commandsOf);
const VERBATIM = ALL.filter((c) => c.verbatim);

describe('every command in README and docs runs verbatim in cmd, PowerShell and sh', () => {
  test('the docs hold commands to check (the extraction works)', () => {
    expect(VERBATIM.length).toBeGreaterThan(10);
    expect(ALL.length).toBeGreaterThan(80);
    expect(new Set(ALL.map((c) => c.where.split(':')[0]))).toEqual(new Set(DOCS));
  });

  test('no command that Windows lacks: VBoxManage is not on its PATH, its OpenSSH has no ssh-copy-id', () => {
    const windowsless = /^(VBoxManage|ssh-copy-id)\s/;
    const found = DOCS.flatMap((file) =>
      fs
        .readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => [line.trim(), ...[...line.matchAll(/`([^`]+)`/g)].map((m) => m[1])].filter((t) => windowsless.test(t)).map((t) => `${file}:${i + 1}: ${t}`)),
    );
    expect(found).toEqual([]);
  });

  test('quoting, verbs, options and npm scripts', () => {
    expect(ALL.flatMap(checkCommand).join('\n')).toBe('');
  });

  test('the npm scripts the docs name have a body cmd.exe runs too (npm runs scripts with cmd on Windows)', () => {
    // npm's default script-shell on Windows is cmd.exe (npm docs, config "script-shell"): it has no
    // `VAR=value command` and passes single quotes on as text.
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const named = new Set(ALL.map((c) => words(c.text)).filter((w) => w[0] === 'npm' && w[1] === 'run').map((w) => w[2]));
    const shOnly = [...named]
      .filter((name) => name in scripts)
      .filter((name) => /(^|&&\s*)\w+=/.test(scripts[name]) || scripts[name].includes("'"))
      .map((name) => `npm run ${name}: ${scripts[name]}`);
    expect(named.size).toBeGreaterThan(5);
    expect(shOnly).toEqual([]);
  });

  (hasTool('sh') ? test : test.skip)('sh hands each command exactly the words the rules assume (no globbing, no expansion)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-doc-sh-'));
    try {
      for (const f of ['a.txt', 'b.txt', 'k3s', '-rf']) fs.writeFileSync(path.join(dir, f), '');
      // One sh for all of them: each command's words, then a line that cannot be a word.
      const checked = ALL.filter((x) => x.verbatim || !/[<[|…]/.test(x.text));
      const script = ['npm() { printf \'%s\\n\' npm "$@"; }', 'npx() { printf \'%s\\n\' npx "$@"; }', ...checked.flatMap((c) => [c.text, "printf '\\036\\n'"])].join('\n');
      const got = execFileSync('sh', ['-c', script], { cwd: dir, encoding: 'utf8' }).split('\x1e\n').slice(0, -1);
      expect(got.map((out, i) => ({ where: checked[i].where, argv: out.split('\n').slice(0, -1) }))).toEqual(checked.map((c) => ({ where: c.where, argv: words(c.text) })));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
