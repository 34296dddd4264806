import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { STEP_PHASE_ENV, STEP_TIMELINE_ENV, readStepTimeline } from '../../cli/deploy/step-timeline';

/**
 * The stand-up timeline: Terraform runs several kubelab verbs at once, and each appends its
 * record to one file. Checked with concurrent processes, as Terraform starts them.
 */
const ROOT = path.resolve(__dirname, '..', '..');

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: 'ignore' });
    child.on('close', resolve);
  });
}

test('concurrent processes each append whole records: none lost, none torn; the verbs Terraform runs record step, node, time and why they failed', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-timeline-'));
  const file = path.join(dir, 'deploy-steps.jsonl');
  try {
    const env = { ...process.env, PATH: path.dirname(process.execPath), [STEP_TIMELINE_ENV]: file, [STEP_PHASE_ENV]: 'K3s' };
    // Three writers of 200 long records each, started at once, plus two real kubelab verbs.
    const writer = (id: number) =>
      `const {appendStepRecord}=require(${JSON.stringify(path.join(ROOT, 'bin', 'run-ts'))}).loadTs(${JSON.stringify(path.join(ROOT, 'cli', 'deploy', 'step-timeline.ts'))});` +
      `for(let i=0;i<200;i++)appendStepRecord(process.env.${STEP_TIMELINE_ENV},{phase:'w${id}',step:'x'.repeat(900),node:String(i),startedMs:i,seconds:0,exitCode:0});`;
    const codes = await Promise.all([
      ...[1, 2, 3].map((id) => run(['-e', writer(id)], env)),
      run([path.join(ROOT, 'bin', 'kubelab.js'), 'k3s', 'script', 'agent', 'w1'], env),
      // No VBoxManage on this PATH: the verb fails, and its record says why.
      run([path.join(ROOT, 'bin', 'kubelab.js'), 'vm', 'status', 'w2'], env),
    ]);
    expect(codes).toEqual([0, 0, 0, 0, 1]);
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(602);
    const records = readStepTimeline(file);
    expect(records).toHaveLength(602);
    for (const id of [1, 2, 3]) expect(records.filter((r) => r.phase === `w${id}`).map((r) => Number(r.node))).toEqual([...Array(200).keys()]);
    expect(records.find((r) => r.step === 'k3s script')).toMatchObject({ phase: 'K3s', node: 'w1', exitCode: 0 });
    expect(records.find((r) => r.step === 'vm status')).toMatchObject({ phase: 'K3s', node: 'w2', exitCode: 1, error: expect.stringMatching(/^VirtualBox is not installed/) });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
