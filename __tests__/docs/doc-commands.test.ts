import { execFileSync } from 'child_process';
import { Command, Option } from 'commander';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CliContext } from '../../cli/context';
import { buildProgram } from '../../cli/main';
import { STACK_NAMES } from '../../lab';
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
const DOCS = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), 'docs/ko/README.md', 'docs/ko/lessons.md'];
const SCRIPTS = Object.keys((JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
const CDKTF_VERBS = ['deploy', 'destroy', 'diff', 'synth', 'output', 'list'];
/** Words that start a command line inside a code block (anything else there is output or a diagram). */
const COMMAND_START = /^(npm|npx|kubelab|kubectl|cdktf)(\s|$)/;

interface DocCommand {
  readonly where: string;
  readonly text: string;
  /** From a code block: must run verbatim. From an inline `code` span: may hold <placeholders>. */
  readonly verbatim: boolean;
}

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

/** Splits a command line the way all three shells agree on for what the rules allow: spaces, and "…" as one word. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

const program = buildProgram(new CliContext(ROOT, () => undefined, () => undefined));

/** Checks `kubelab …` words against the verbs and options the CLI registers. */
function checkKubelab(args: string[], where: string, verbatim: boolean): string[] {
  const problems: string[] = [];
  let cmd: Command = program;
  let i = 0;
  while (i < args.length) {
    const sub = cmd.commands.find((c) => c.name() === args[i] || c.aliases().includes(args[i]));
    if (!sub) break;
    cmd = sub;
    i++;
  }
  if (cmd === program && !verbatim && /^[<[]/.test(args[0] ?? '')) return problems;
  if (cmd === program && !(args[0] === '--version' || args[0] === '--help' || args[0] === '-V')) {
    problems.push(`${where}: "kubelab ${args.join(' ')}": ${args[0]} is not a kubelab verb`);
    return problems;
  }
  if (cmd.name() === 'kubectl' || cmd.name() === 'ssh') return problems; // the rest is kubectl's / the node's
  const options: readonly Option[] = cmd.options;
  let positionals = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (!verbatim && (/^[<[]/.test(a) || a.includes('|') || a === '…')) continue;
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (a === '--help' || a === '-h') continue;
      const opt = options.find((o) => o.long === a.split('=')[0] || o.short === a);
      if (!opt) problems.push(`${where}: "${a}" is not an option of kubelab ${cmd.name()} (it has ${options.map((o) => o.long).join(', ') || 'none'})`);
      else if ((opt.required || opt.optional) && !a.includes('=')) i++;
      continue;
    }
    positionals++;
  }
  const declared = cmd.registeredArguments;
  if (verbatim && !declared.some((d) => d.variadic) && positionals > declared.length) {
    problems.push(`${where}: kubelab ${cmd.name()} takes ${declared.length} argument(s), the doc gives ${positionals}`);
  }
  if (verbatim && positionals < declared.filter((d) => d.required).length) {
    problems.push(`${where}: kubelab ${cmd.name()} needs ${declared.filter((d) => d.required).map((d) => `<${d.name()}>`).join(' ')}`);
  }
  return problems;
}

function checkCommand(c: DocCommand): string[] {
  const problems: string[] = [];
  const { text, where } = c;
  if (!/^(npm|npx)\s/.test(text)) problems.push(`${where}: "${text}" does not run on a fresh clone: write npx ${text} (or an npm script)`);
  {
    const rules: [RegExp, string][] = [
      [/'/, "single quotes: cmd.exe passes them on ('*' arrives as ''*''); use double quotes"],
      [/\s#|^#/, 'a comment after the command: cmd.exe passes it on as arguments; explain in the text instead'],
      [/&&|\|\||;/, 'chained commands: Windows PowerShell 5.1 has no && and cmd.exe no ;  — one command per line'],
      [/[$%`]/, '$, % or backtick: variables or escapes in one shell, literal text in another'],
      [/~/, '~: only sh expands it'],
      [/\\$/, 'a line continuation: each shell writes it differently'],
      [/^\w+=/, 'VAR=value before a command: sh only'],
      ...(c.verbatim ? ([[/<[^>]*>/, 'a <placeholder> (cmd and sh read < as a redirection): give a real value']] as [RegExp, string][]) : []),
    ];
    for (const [re, why] of rules) if (re.test(text)) problems.push(`${where}: "${text}": ${why}`);
    // In a syntax line, [--option] and a|b are placeholders, not globs.
    const unquoted = (c.verbatim ? text : text.replace(/\[[^\]]*\]|<[^>]*>/g, '')).replace(/"[^"]*"/g, '""');
    if (/[*?[\]]/.test(unquoted)) problems.push(`${where}: "${text}": an unquoted * ? or [ is expanded by sh and PowerShell may too; write "*"`);
  }
  const w = words(text);
  if (w[0] === 'npm') {
    if (w[1] === 'run' && !SCRIPTS.includes(w[2])) problems.push(`${where}: npm run ${w[2]}: package.json has no such script (it has ${SCRIPTS.join(', ')})`);
    else if (w[1] !== 'run' && !['ci', 'test'].includes(w[1])) problems.push(`${where}: "${text}": use npm ci (the lock file's exact versions), npm test or npm run <script>`);
    if (w[1] === 'run' && w[2] === 'diff' && c.verbatim && !(w[3] === '--' && (STACK_NAMES as readonly string[]).includes(w[4]))) {
      problems.push(`${where}: "${text}": write npm run diff -- <one of ${STACK_NAMES.join(', ')}>`);
    }
  }
  if (w[0] === 'npx' && w[1] === 'kubelab') problems.push(...checkKubelab(w.slice(2), where, c.verbatim));
  if (w[0] === 'npx' && w[1] === 'cdktf') {
    if (!CDKTF_VERBS.includes(w[2])) problems.push(`${where}: cdktf ${w[2]} is not a cdktf verb the lab uses`);
    for (const a of w.slice(3).filter((x) => !x.startsWith('-'))) {
      if (a !== '*' && !(STACK_NAMES as readonly string[]).includes(a) && c.verbatim) problems.push(`${where}: "${a}" is not a stack (${STACK_NAMES.join(', ')}) or "*"`);
    }
  }
  return problems;
}

describe('every command in README and docs runs verbatim in cmd, PowerShell and sh', () => {
  test('the docs hold commands to check (the extraction works)', () => {
    expect(VERBATIM.length).toBeGreaterThan(10);
    expect(ALL.length).toBeGreaterThan(80);
    expect(new Set(ALL.map((c) => c.where.split(':')[0]))).toEqual(new Set(DOCS));
  });

  test('quoting, verbs, options and npm scripts', () => {
    expect(ALL.flatMap(checkCommand).join('\n')).toBe('');
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
