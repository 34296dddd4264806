import { Command, Option } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { CliContext } from '../../cli/context';
import { buildProgram } from '../../cli/main';
import { STACK_NAMES } from '../../lab';

/**
 * The rules a command we show must follow to run verbatim on a fresh clone in cmd.exe,
 * PowerShell and sh (see __tests__/docs/doc-commands.test.ts for where each rule comes from),
 * and its verb and options checked against what the CLI and package.json really have.
 * Used for the docs and for the advice kubelab's own messages print.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPTS = Object.keys((JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
const CDKTF_VERBS = ['deploy', 'destroy', 'diff', 'synth', 'output', 'list'];

export interface DocCommand {
  readonly where: string;
  readonly text: string;
  /** From a code block: must run verbatim. From an inline `code` span or a message with values filled in: may hold <placeholders>. */
  readonly verbatim: boolean;
}

/** Splits a command line the way all three shells agree on for what the rules allow: spaces, and "…" as one word. */
export function words(line: string): string[] {
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

export function checkCommand(c: DocCommand): string[] {
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
    if (w[1] === 'run' && !SCRIPTS.includes(w[2]) && !(!c.verbatim && /^</.test(w[2]))) problems.push(`${where}: npm run ${w[2]}: package.json has no such script (it has ${SCRIPTS.join(', ')})`);
    else if (w[1] !== 'run' && !['ci', 'test'].includes(w[1])) problems.push(`${where}: "${text}": use npm ci (the lock file's exact versions), npm test or npm run <script>`);
    if (w[1] === 'run' && ['up', 'down', 'diff'].includes(w[2])) {
      const after = w[3] === '--' ? w.slice(4) : w.slice(3);
      if (w.length > 3 && w[3] !== '--') problems.push(`${where}: "${text}": npm passes arguments on to the script only after --: npm run ${w[2]} -- ${w.slice(3).join(' ')}`);
      for (const a of after) {
        if (a === '--verbose' || (!c.verbatim && (/^[<[]/.test(a) || a === '…'))) continue;
        if (!(STACK_NAMES as readonly string[]).includes(a)) problems.push(`${where}: "${text}": "${a}" is not a stack (${STACK_NAMES.join(', ')}) or --verbose`);
      }
    }
    if (w[1] === 'run' && w[2] === 'diff' && c.verbatim && !(w[3] === '--' && (STACK_NAMES as readonly string[]).includes(w[4]))) {
      problems.push(`${where}: "${text}": write npm run diff -- <one of ${STACK_NAMES.join(', ')}>`);
    }
  }
  if (w[0] === 'npx' && w[1] === 'kubelab') problems.push(...checkKubelab(w.slice(2), where, c.verbatim));
  // npx's PowerShell shim in older npm drops a bare -- (npm/cli #4903, #3136): quote the node's command instead.
  if (w[0] === 'npx' && w[1] === 'kubelab' && w[2] === 'ssh' && w.includes('--')) problems.push(`${where}: "${text}": write the node's command as one quoted argument, without --`);
  if (w[0] === 'npx' && w[1] === 'cdktf') {
    if (!CDKTF_VERBS.includes(w[2]) && !(!c.verbatim && /^</.test(w[2]))) problems.push(`${where}: cdktf ${w[2]} is not a cdktf verb the lab uses`);
    for (const a of w.slice(3).filter((x) => !x.startsWith('-'))) {
      if (a !== '*' && !(STACK_NAMES as readonly string[]).includes(a) && c.verbatim) problems.push(`${where}: "${a}" is not a stack (${STACK_NAMES.join(', ')}) or "*"`);
    }
  }
  return problems;
}

