import { kubelabCommandLine } from '../../constructs/kubelab-command';

/**
 * A provisioner's line runs unchanged in cmd, PowerShell and sh: only words that every one of them
 * passes through as they are. The characters below each mean something to one of them: a space
 * splits words, quotes are removed (sh, cmd keeps '), `$` expands (sh, PowerShell), `%` expands
 * (cmd), `;` `&` `|` `<` `>` chain or redirect, `*` `?` glob (sh), `` ` `` escapes (PowerShell),
 * `^` escapes (cmd), `(` `)` group.
 */
describe('a kubelab command line', () => {
  test('is node, the CLI entry from the stack dir, and the words as they are', () => {
    expect(kubelabCommandLine(['vm', 'create', 'cp1'])).toBe('node ../../../bin/kubelab.js vm create cp1');
    expect(kubelabCommandLine(['prune', '--keep', 'cp1+w1', '--server-ip', '192.168.56.10', 'ubuntu:22:ssh/id_ed25519', 'a_b', 'x=y'])).toBe(
      'node ../../../bin/kubelab.js prune --keep cp1+w1 --server-ip 192.168.56.10 ubuntu:22:ssh/id_ed25519 a_b x=y',
    );
  });

  test("takes a step's own trigger, alone or as an option's value (Terraform fills it in before any shell runs)", () => {
    expect(kubelabCommandLine(['--spec=${self.triggers.spec}', 'vm', 'destroy', '${self.triggers.node}', '--lab', '${self.triggers.lab}'])).toBe(
      'node ../../../bin/kubelab.js --spec=${self.triggers.spec} vm destroy ${self.triggers.node} --lab ${self.triggers.lab}',
    );
    expect(kubelabCommandLine(['${self.triggers.server_vm}'])).toContain('${self.triggers.server_vm}');
  });

  test.each([
    'two words', '"quoted"', "'quoted'", '$HOME', '%PATH%', 'a;b', 'a&b', 'a|b', '<in', '>out', '*', 'a?', '`x', '^x', '(x)', '', 'é',
    // A trigger reference with anything around it or in it is no longer one word Terraform fills in.
    'x${self.triggers.node}', '${self.triggers.node}x', '${self.triggers.Node}', '${self.triggers.}', '${var.node}', '--Spec=${self.triggers.spec}', '-s=${self.triggers.spec}', '--=${self.triggers.spec}',
  ])('refuses %j, naming it and what is allowed', (word) => {
    expect(() => kubelabCommandLine(['vm', word])).toThrow(
      `kubelab command argument ${JSON.stringify(word)} holds characters that cmd, PowerShell and sh treat differently; use only letters, digits and . _ : / = + -`,
    );
  });
});
