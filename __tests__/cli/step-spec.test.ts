import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CliContext } from '../../cli/context';
import { main } from '../../cli/main';
import { decodeStepSpec } from '../../config/step-spec';
import { allResources, synthLab } from '../app/synth-lab';

/**
 * The plan is the single truth: a step's create command takes the spec from its triggers
 * (`--spec=${self.triggers.spec}`), so an edit of kubelab.config.yaml between plan and
 * apply does not change what runs. A verb run by hand still reads the config.
 */
describe('the step spec Terraform planned', () => {
  let project: string;
  let lines: string[];
  const run = async (...argv: string[]) => {
    lines = [];
    const code = await main(argv, project, new CliContext(project, (l) => lines.push(l), (l) => lines.push(l)));
    return { code, text: lines.join('\n') };
  };
  beforeAll(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-spec-'));
    fs.writeFileSync(path.join(project, 'kubelab.config.yaml'), 'k3s:\n  version: v1.36.9+k3s1\n  installer:\n    source: online\n');
  });
  afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

  const versionStepSpec = (stack: any, name: string) => {
    const step = allResources(stack).find((r) => r.name === name)!;
    return step.body.triggers.spec as string;
  };

  test('the K3s step runs with the planned version even after the config file changed', async () => {
    const spec = versionStepSpec(synthLab({ k3s: { version: 'v1.36.4+k3s1', installer: { source: 'online' } } }).stacks.k3s, 'agent-w1_version');
    expect(spec).toMatch(/^[A-Za-z0-9_-]+$/);
    const planned = await run(`--spec=${spec}`, 'k3s', 'script', 'agent', 'w1');
    expect(planned.code).toBe(0);
    expect(planned.text).toContain('v1.36.4+k3s1');
    expect(planned.text).not.toContain('v1.36.9+k3s1');
    // By hand, the same verb reads kubelab.config.yaml.
    const byHand = await run('k3s', 'script', 'agent', 'w1');
    expect(byHand.text).toContain('v1.36.9+k3s1');
  });

  test('a spec that is not one base64url word is refused with one line', async () => {
    const r = await run('--spec=not a spec', 'k3s', 'script', 'agent', 'w1');
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/^kubelab: error: --spec is not a valid kubelab configuration:\n  - "not a spec" is not a step spec: it must be the one base64url word/);
  });

  test('the specs of the steps that reach the internet from a node (its VM seed, its K3s install) carry the proxy', async () => {
    const proxy = { http: 'http://proxy.corp.example:3128', noProxy: ['.corp.example'] };
    const lab = synthLab({ proxy });
    for (const [stack, name] of [['vms', 'vm-w1'], ['k3s', 'agent-w1_version'], ['k3s', 'server-cp1_version']]) {
      expect([name, (decodeStepSpec(versionStepSpec(lab.stacks[stack], name)) as { proxy?: unknown }).proxy]).toEqual([name, proxy]);
    }
    const planned = await run(`--spec=${versionStepSpec(lab.stacks.k3s, 'agent-w1_version')}`, 'k3s', 'script', 'agent', 'w1');
    expect(planned.text).toContain('HTTP_PROXY=http://proxy.corp.example:3128');
  });

  test('network up from its arguments: all three or none, each checked with one line', async () => {
    expect((await run('network', 'up', '--lab', 'kubelab')).text).toBe('kubelab: error: --lab, --cidr and --host-ip go together: give all three, or none to use the lab config');
    expect((await run('network', 'up', '--lab', 'kubelab', '--cidr', '192.168.56.7/24', '--host-ip', '192.168.56.1')).text).toMatch(/^kubelab: error: --cidr "192\.168\.56\.7\/24" must be a network in CIDR form/);
    expect((await run('network', 'up', '--lab', 'kubelab', '--cidr', '192.168.56.0/24', '--host-ip', '192.168.57.1')).text).toBe('kubelab: error: --host-ip "192.168.57.1" must lie inside --cidr 192.168.56.0/24');
  });

  test("an agent's VM spec does not hold the server's size: a bigger server does not re-create the agents", () => {
    const small = synthLab({});
    const big = synthLab({ nodes: [{ name: 'cp1', role: 'server', ip: '192.168.56.10', memoryMb: 4096 }, { name: 'w1', role: 'agent', ip: '192.168.56.11' }, { name: 'w2', role: 'agent', ip: '192.168.56.12' }] });
    expect(versionStepSpec(big.stacks.vms, 'vm-w1')).toBe(versionStepSpec(small.stacks.vms, 'vm-w1'));
    expect(versionStepSpec(big.stacks.vms, 'vm-cp1')).not.toBe(versionStepSpec(small.stacks.vms, 'vm-cp1'));
  });
});
