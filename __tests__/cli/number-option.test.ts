import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CliContext } from '../../cli/context';
import { main } from '../../cli/main';

/** Numeric options are checked before anything runs, the same way in every verb. */
async function run(...argv: string[]): Promise<{ code: number; out: string }> {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-cli-'));
  const lines: string[] = [];
  const code = await main(argv, project, new CliContext(project, (l) => lines.push(l), (l) => lines.push(l)));
  return { code, out: lines.join('\n') };
}

test.each([
  [['vm', 'create', 'cp1', '--timeout', 'abc'], "--timeout 'abc' must be a positive number"],
  [['k3s', 'uninstall', 'w1', '--ip', '192.168.56.11', '--role', 'agent', '--lab', 'kubelab', '--ssh-wait', '-1'], "--ssh-wait '-1' must be a positive number"],
  [['verify', '--timeout', '0'], "--timeout '0' must be a positive number"],
])('kubelab %j refuses a bad number before doing anything', async (argv, message) => {
  const r = await run(...(argv as string[]));
  expect(r.code).toBe(1);
  expect(r.out).toBe(`kubelab: error: ${message}, like 10`);
});
