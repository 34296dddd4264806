import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { CliContext } from '../../cli/context';
import { buildProgram } from '../../cli/main';
import { DocCommand, checkCommand } from '../support/command-rules';

/**
 * Every command kubelab's own source prints as advice ("run: npx kubelab doctor", "then run
 * npm run up again") runs verbatim on a fresh clone in cmd, PowerShell and sh: the same
 * rules as the docs (__tests__/docs/doc-commands.test.ts). Each string and template literal
 * of the source is read through TypeScript's parser (comments are not strings); a `${…}`
 * in a template stands for a value, checked as a <placeholder>.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const SOURCE_DIRS = ['cli', 'config', 'constructs', 'stacks', 'bin', 'lessons'];

function sourceFiles(): string[] {
  const walk = (dir: string): string[] =>
    fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : /\.(ts|js)$/.test(e.name) ? [path.join(dir, e.name)] : []));
  return [...SOURCE_DIRS.flatMap(walk), 'lab.ts', 'main.ts'];
}

interface SourceString {
  readonly where: string;
  readonly text: string;
}

/** The text of every string and template literal, `${…}` as <x>. */
function stringsOf(file: string): SourceString[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('.js') ? ts.ScriptKind.JS : ts.ScriptKind.TS);
  const found: SourceString[] = [];
  const at = (n: ts.Node) => `${file}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const visit = (n: ts.Node) => {
    if (ts.isImportDeclaration(n) || ts.isExternalModuleReference(n)) return;
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) found.push({ where: at(n), text: n.text });
    else if (ts.isTemplateExpression(n)) {
      found.push({ where: at(n), text: n.head.text + n.templateSpans.map((s) => `<x>${s.literal.text}`).join('') });
      n.templateSpans.forEach((s) => visit(s.expression));
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

const program = buildProgram(new CliContext(ROOT, () => undefined, () => undefined));
const VERBS = program.commands.map((c) => c.name());
/** Where a command inside a sentence ends: punctuation, or a word that goes on with the sentence. */
const COMMAND_END = /[;,()]|: |\.(?=\s|$)| — |\n| (?:then|and|or|to|first|again|if|for|once|after|before|instead|is|are|runs|writes|does|needs|makes|prints|puts|checks|creates|re-creates|removes|starts|stops|shows|takes|works)(?= |$)/;
/** `kubelab <verb>` typed without npx: "command not found" on a fresh clone. */
const BARE_KUBELAB = new RegExp(`(?<!npx )\\bkubelab (${VERBS.map((v) => v.replace(/-/g, '\\-')).join('|')})\\b`);
/** cdktf's own deploy/destroy of one stack fail on its dependencies: the npm scripts check them. */
const CDKTF_LIFECYCLE = /\bcdktf (deploy|destroy)\b/;

const STRINGS = sourceFiles().flatMap(stringsOf);

function adviceIn(s: SourceString): DocCommand[] {
  const commands: DocCommand[] = [];
  for (const m of s.text.matchAll(/\b(npx (kubelab|cdktf)|npm (run|ci|test))\b/g)) {
    const rest = s.text.slice(m.index!);
    const end = rest.search(COMMAND_END);
    commands.push({ where: s.where, text: (end < 0 ? rest : rest.slice(0, end)).trim(), verbatim: false });
  }
  return commands;
}

const ADVICE = STRINGS.flatMap(adviceIn);

describe('every command kubelab prints as advice runs verbatim in cmd, PowerShell and sh', () => {
  test('the source holds advice to check (the extraction works)', () => {
    expect(STRINGS.length).toBeGreaterThan(500);
    expect(ADVICE.length).toBeGreaterThan(20);
    expect(ADVICE.map((a) => a.text)).toContain('npx kubelab doctor');
  });

  test('no kubelab verb without npx, no cdktf deploy/destroy (npm run up/down check what a stack needs)', () => {
    const problems = STRINGS.flatMap((s) => [
      ...(BARE_KUBELAB.test(s.text) ? [`${s.where}: "${BARE_KUBELAB.exec(s.text)![0]}" without npx: on a fresh clone that is "command not found"; write npx ${BARE_KUBELAB.exec(s.text)![0]}`] : []),
      ...(CDKTF_LIFECYCLE.test(s.text) ? [`${s.where}: "${CDKTF_LIFECYCLE.exec(s.text)![0]}": write npm run ${/destroy/.test(s.text) ? 'down' : 'up'} (-- <stack>), which checks the stacks it needs`] : []),
    ]);
    expect(problems.join('\n')).toBe('');
  });

  test('quoting, verbs, options and npm scripts of each advice command', () => {
    expect(ADVICE.flatMap(checkCommand).join('\n')).toBe('');
  });
});
