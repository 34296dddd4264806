import { Command, Option } from 'commander';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CliContext } from '../../cli/context';
import { buildProgram, main } from '../../cli/main';
import { remoteCommandOf } from '../../cli/ssh/commands';

/**
 * The help as a learner reads it: each option name means one thing with one unit in every
 * verb, what only Terraform calls stays out of it, and every verb shows one example.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const program = buildProgram(new CliContext(ROOT, () => undefined, () => undefined));

const isHidden = (c: Command) => (c as unknown as { _hidden: boolean })._hidden;
/** Every command under `root` with its path of names ("vm create"), hidden ones too. */
function tree(root: Command, prefix: string[] = []): { path: string[]; cmd: Command }[] {
  return root.commands
    .filter((c) => c.name() !== 'help')
    .flatMap((c) => [{ path: [...prefix, c.name()], cmd: c }, ...tree(c, [...prefix, c.name()])]);
}
const ALL = tree(program);
/** What a user can find from `kubelab --help` down: not hidden, and no hidden parent. */
const VISIBLE = ALL.filter(({ path: p }) => p.every((_, i) => !isHidden(ALL.find((x) => x.path.join(' ') === p.slice(0, i + 1).join(' '))!.cmd)));
const hasAction = (c: Command) => (c as unknown as { _actionHandler: unknown })._actionHandler !== null;

/** The whole help a user sees for a command, with the text added after it. */
function helpOf(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}

async function run(...argv: string[]): Promise<{ code: number; out: string }> {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-help-'));
  try {
    const lines: string[] = [];
    const code = await main(argv, project, new CliContext(project, (l) => lines.push(l), (l) => lines.push(l)));
    return { code, out: lines.join('\n') };
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
}

describe('one unit per option name', () => {
  const TIME_OPTIONS = ['--timeout', '--interval', '--ready-timeout', '--ssh-wait'];
  const timeOptions = ALL.flatMap(({ path: p, cmd }) => cmd.options.filter((o) => TIME_OPTIONS.includes(o.long!)).map((o) => ({ where: p.join(' '), o })));

  test('every time option is a <duration>, says so in the help, and reads 10m and 90s the same way in every verb', () => {
    expect(timeOptions.length).toBeGreaterThanOrEqual(7);
    for (const { where, o } of timeOptions) {
      expect({ where, flags: o.flags }).toEqual({ where, flags: `${o.long} <duration>` });
      expect(o.description).toMatch(/like 90s or 10m/);
      expect({ where, tenMinutes: o.parseArg!('10m', undefined), ninetySeconds: o.parseArg!('90s', undefined) }).toEqual({ where, tenMinutes: 600_000, ninetySeconds: 90_000 });
    }
  });

  test.each([
    [['vm', 'create', 'cp1', '--timeout', '15'], /^kubelab: error: --timeout '15' needs a unit: 15m for minutes or 15s for seconds$/],
    [['verify', '--timeout', '300'], /^kubelab: error: --timeout '300' needs a unit/],
    [['start', '--timeout', 'soon'], /^kubelab: error: --timeout 'soon' must be a positive duration like 90s or 10m$/],
    [['verify', '--timeout', '0s'], /^kubelab: error: --timeout '0s' must be a positive duration/],
    [['k3s', 'uninstall', 'w1', '--ip', '192.168.56.11', '--role', 'agent', '--lab', 'kubelab', '--ssh-wait', '-1'], /^kubelab: error: --ssh-wait '-1' must be a positive duration/],
  ])('kubelab %j is refused before anything runs', async (argv, expected) => {
    const r = await run(...(argv as string[]));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(expected);
  });

  test('the options whose unit was always seconds still read a bare number as seconds', () => {
    const interval = ALL.find((x) => x.path.join(' ') === 'load watch')!.cmd.options.find((o) => o.long === '--interval')!;
    expect(interval.parseArg!('5', undefined)).toBe(5000);
    expect(interval.parseArg!('0.5', undefined)).toBe(500);
  });
});

describe('internal verbs and options stay out of the help', () => {
  test.each([
    ['kubelab', [], ['--spec', 'prune']],
    ['kubelab k3s', ['k3s'], ['kubeconfig']],
    ['kubelab kubeconfig', ['kubeconfig'], ['--remove', '--lab']],
    ['kubelab k3s uninstall', ['k3s', 'uninstall'], ['--server ', '--server-ip', '--server-vm', '--server-ssh']],
  ])('%s --help lists none of them', (_what, p, hidden) => {
    const cmd = p.length === 0 ? program : ALL.find((x) => x.path.join(' ') === p.join(' '))!.cmd;
    const help = helpOf(cmd);
    expect(help).toMatch(/Usage:/);
    for (const h of hidden) expect(help).not.toContain(h);
  });

  test('hidden, they still work for Terraform', () => {
    expect(program.options.find((o: Option) => o.long === '--spec')).toBeDefined();
    expect(ALL.map((x) => x.path.join(' '))).toEqual(expect.arrayContaining(['prune', 'k3s kubeconfig']));
  });
});

describe('one example per verb', () => {
  const leaves = VISIBLE.filter(({ cmd }) => hasAction(cmd));

  test('the verbs to check are found', () => {
    expect(leaves.length).toBeGreaterThan(30);
  });

  test.each(leaves.map(({ path: p, cmd }) => [p.join(' '), cmd] as const))('kubelab %s --help ends with one example of itself', (name, cmd) => {
    const help = helpOf(cmd);
    const examples = [...help.matchAll(/^Example:\n {2}(.+)$/gm)].map((m) => m[1]);
    expect(examples).toHaveLength(1);
    const words = examples[0].split(' ');
    expect(words.slice(0, 2 + name.split(' ').length).join(' ')).toBe(`npx kubelab ${name}`);
    // Runs verbatim in cmd, PowerShell and sh (the rules of __tests__/docs/doc-commands.test.ts).
    expect(examples[0]).not.toMatch(/['<>$%`~;&|]/);
    const options = cmd.options.map((o) => o.long);
    for (const w of words.filter((x) => x.startsWith('--'))) expect(options).toContain(w.split('=')[0]);
  });
});

test('one kubeconfig verb in the help (k3s kubeconfig is its hidden alias for Terraform)', () => {
  expect(VISIBLE.filter(({ cmd }) => cmd.name() === 'kubeconfig').map((x) => x.path.join(' '))).toEqual(['kubeconfig']);
  const kubeconfig = ALL.find((x) => x.path.join(' ') === 'kubeconfig')!.cmd;
  expect(kubeconfig.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--fetch', '--merge', '--unmerge']));
});

describe('kubelab ssh needs no -- (npx on older npm drops it in PowerShell: npm/cli #4903, #3136)', () => {
  /** The words `kubelab ssh` would run on the node, without connecting anywhere. */
  async function remoteCommand(...argv: string[]): Promise<string | undefined> {
    const p = buildProgram(new CliContext(ROOT, () => undefined, () => undefined));
    const ssh = p.commands.find((c) => c.name() === 'ssh')!;
    let got: string[] = [];
    ssh.action((_node: string, words: string[]) => {
      got = words;
    });
    await p.parseAsync(['ssh', ...argv], { from: 'user' });
    return remoteCommandOf(got);
  }

  test.each([
    ['a quoted command', ['w1', 'sudo journalctl -u k3s-agent -n 50'], 'sudo journalctl -u k3s-agent -n 50'],
    ['words with options, no --', ['w1', 'sudo', 'journalctl', '-u', 'k3s-agent', '-n', '50'], 'sudo journalctl -u k3s-agent -n 50'],
    ['words after --, as before', ['w1', '--', 'ls', '-la'], 'ls -la'],
    ['no command: an interactive shell', ['w1'], undefined],
  ])('%s', async (_what, argv, expected) => {
    expect(await remoteCommand(...(argv as string[]))).toEqual(expected);
  });
});
