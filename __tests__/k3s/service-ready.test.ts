/**
 * Waiting for the K3s unit to be active (cli/k3s/service-ready.ts), against a node session in local
 * bash (../support/local-node.ts) with STAND-INS for systemctl and journalctl:
 * - `systemctl show -p ActiveState -p SubState --value <unit>` prints the two values one a line,
 *   ActiveState first (systemd man systemctl, `show`, `--value`; the order is the unit's property
 *   order, in which ActiveState precedes SubState: unverified at a tag). The stand-in answers the
 *   states listed in <dir>/states, one "<active> <sub>" per call, the last one from then on.
 * - `journalctl -u <unit> -n 6 --no-pager -o cat` prints the unit's last lines, messages only.
 */
import * as fs from 'fs';
import * as path from 'path';
import { waitForK3sService } from '../../cli/k3s/service-ready';
import { localNode, LocalNode } from '../support/local-node';

let node: LocalNode;
let states: string;
let journal: string;
let calls: string;
beforeEach(() => {
  node = localNode('w1', '192.168.56.11');
  states = path.join(node.binDir, '..', 'states');
  journal = path.join(node.binDir, '..', 'journal');
  calls = path.join(node.binDir, '..', 'calls');
  node.addStandIn(
    'systemctl',
    `#!/bin/bash\necho "systemctl $*" >> '${calls}'\n[ "$*" = "show -p ActiveState -p SubState --value $7" ] || exit 99\n` +
      `first=$(head -n 1 '${states}'); [ "$(wc -l < '${states}')" -gt 1 ] && sed -i 1d '${states}'\nfor w in $first; do echo "$w"; done\n`,
  );
  node.addStandIn('journalctl', `#!/bin/bash\necho "journalctl $*" >> '${calls}'\ncat '${journal}'\n`);
  fs.writeFileSync(journal, '');
});
afterEach(() => node.cleanup());

const agent = { role: 'agent' as const, service: 'k3s-agent' as const, node: { name: 'w1' } as never };
const server = { role: 'server' as const, service: 'k3s' as const, node: { name: 'cp1' } as never };
const asked = () => fs.readFileSync(calls, 'utf8').trim().split('\n');

test('active at the first look: done, without reading the log', async () => {
  fs.writeFileSync(states, 'active running\n');
  await waitForK3sService(node.session, agent, { timeoutMs: 5000, pollMs: 10 });
  expect(asked()).toEqual(['systemctl show -p ActiveState -p SubState --value k3s-agent']);
});

test('activating, then active: it keeps looking until then', async () => {
  fs.writeFileSync(states, 'activating start\nactivating start\nactive running\n');
  await waitForK3sService(node.session, agent, { timeoutMs: 5000, pollMs: 10 });
  expect(asked()).toHaveLength(3);
  expect(asked().filter((c) => c.startsWith('journalctl'))).toEqual([]);
});

test("never active (an agent): the error says what it last saw, quotes the unit's last log lines and says to check the server", async () => {
  fs.writeFileSync(states, 'activating start\n');
  fs.writeFileSync(journal, Array.from({ length: 8 }, (_, i) => `log line ${i + 1}`).join('\n') + '\n');
  const started = Date.now();
  const err = await waitForK3sService(node.session, agent, { timeoutMs: 400, pollMs: 50 }).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  expect(err?.message).toMatch(/^gave up waiting for K3s agent \(k3s-agent\) on w1 to report ready to systemd after \S+ s; last seen: k3s-agent is activating \(start\)\. /);
  expect(err?.message).toContain('. Its last log lines: log line 3 | log line 4 | log line 5 | log line 6 | log line 7 | log line 8. ');
  expect(err?.message).toContain('An agent reports ready only after it reached the server');
  expect(err?.message).toMatch(/Look further with: npx kubelab ssh w1 "sudo journalctl -u k3s-agent"$/);
  expect(asked().filter((c) => c.startsWith('journalctl'))).toEqual(['journalctl -u k3s-agent -n 6 --no-pager -o cat']);
});

test('a log that starts with blank lines: the quote holds only its lines', async () => {
  fs.writeFileSync(states, 'failed failed\n');
  fs.writeFileSync(journal, '\n\nk3s: fatal: bad flag\n');
  const err = await waitForK3sService(node.session, server, { timeoutMs: 100, pollMs: 50 }).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(err?.message).toContain('last seen: k3s is failed (failed). Its last log lines: k3s: fatal: bad flag. Look further');
});

test('a server that never comes up, with an empty log and no state: no agent hint, and says there are no log lines', async () => {
  fs.writeFileSync(states, '\n');
  const err = await waitForK3sService(node.session, server, { timeoutMs: 200, pollMs: 50 }).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(err?.message).toContain('last seen: k3s is unknown. ');
  expect(err?.message).toContain('Its last log lines: (no log lines). Look further with: npx kubelab ssh cp1 "sudo journalctl -u k3s"');
  expect(err?.message).not.toContain('agent');
});
