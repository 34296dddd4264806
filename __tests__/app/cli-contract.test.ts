import { Command } from 'commander';
import { CliContext } from '../../cli/context';
import { buildProgram } from '../../cli/main';
import { allResources, synthLab } from './synth-lab';

/**
 * The contract between the stacks and the CLI: every command line a provisioner
 * runs names a real `kubelab` verb, with options that verb declares and the number
 * of arguments it takes. (Running them needs VirtualBox; parsing them does not.)
 */
const program = buildProgram(new CliContext('/nonexistent-project'));

function resolve(words: string[]): { command: Command; rest: string[] } {
  let command = program;
  let i = 0;
  for (; i < words.length; i++) {
    const sub = command.commands.find((c) => c.name() === words[i]);
    if (!sub) break;
    command = sub;
  }
  return { command, rest: words.slice(i) };
}

const commandLines = Object.values(synthLab().stacks).flatMap((stack) =>
  allResources(stack).flatMap(({ body }) =>
    (body.provisioner ?? []).map((p: any) =>
      // Terraform fills ${self.triggers.x} in; any shell-neutral word stands for it here.
      p['local-exec'].command
        .replace(/\$\{self\.triggers\.[a-z_]+\}/g, 'value')
        .split(' ')
        .slice(2)
        // The program-wide --spec=<planned spec> comes before the verb.
        .filter((word: string, i: number) => !(i === 0 && word.startsWith('--spec='))),
    ),
  ),
);

describe('every provisioner command line is a kubelab verb with declared options', () => {
  test('there are command lines to check', () => expect(commandLines.length).toBeGreaterThanOrEqual(17));

  test.each(commandLines.map((words) => [words.join(' '), words]))('kubelab %s', (_line, words) => {
    const { command, rest } = resolve(words as string[]);
    expect(command).not.toBe(program);
    expect(command.commands).toEqual([]); // a leaf verb, not a group
    const declared = new Map(command.options.map((o) => [o.long, o]));
    const positionals: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const word = rest[i];
      if (!word.startsWith('--')) {
        positionals.push(word);
        continue;
      }
      const option = declared.get(word);
      expect({ verb: command.name(), option: word, declared: option !== undefined }).toEqual({ verb: command.name(), option: word, declared: true });
      if (option!.required || option!.optional) i++; // takes a value
    }
    const args = command.registeredArguments;
    expect(positionals.length).toBeGreaterThanOrEqual(args.filter((a) => a.required).length);
    if (!args.some((a) => a.variadic)) expect(positionals.length).toBeLessThanOrEqual(args.length);
  });
});
