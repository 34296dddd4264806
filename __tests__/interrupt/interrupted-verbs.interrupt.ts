/**
 * `npm run test:interrupt`: every verb that creates something outside .kubelab/ is
 * interrupted right after each of its creating VBoxManage calls in turn — by SIGINT (a
 * Ctrl-C) and by SIGKILL (a crash) — then run again, then undone by its teardown. Nothing
 * may be left: the VBoxManage STAND-IN's registry (host-only interfaces, VMs, media; see
 * ../support/vboxmanage-standin.js, not VirtualBox) and the files on disk are the same as
 * after the verb and its teardown ran without an interruption, which leaves nothing of the
 * verb's own.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UBUNTU_OVA_FILE } from '../../cli/image/ubuntu-image';
import { ImageServer, startImageServer } from '../image/image-server';
import { requireTool } from '../support/tools';
import { StandInEnv, StandInState } from '../support/vboxmanage-standin-env';
import { fakeNodes, kubelab, Run, scratchLab } from '../virtualbox/standin-harness';

interface Scenario {
  readonly verb: string[];
  /** Verbs that make what the verb needs; run once, before the verb. */
  readonly setup: string[][];
  /** Verbs that undo what the verb made. */
  readonly teardown: string[][];
}

const SCENARIOS: Scenario[] = [
  { verb: ['network', 'up'], setup: [], teardown: [['network', 'down']] },
  { verb: ['image', 'import'], setup: [], teardown: [['image', 'remove']] },
  { verb: ['vm', 'create', 'cp1'], setup: [['network', 'up'], ['image', 'import']], teardown: [['vm', 'destroy', 'cp1']] },
  // No verb deletes one snapshot: destroying the VM is what removes it.
  { verb: ['snapshot', 'take', 'cp1'], setup: [['network', 'up'], ['image', 'import'], ['vm', 'create', 'cp1']], teardown: [['vm', 'destroy', 'cp1']] },
];
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGKILL'];

/** A VBoxManage call (as the stand-in logs it: arguments joined by spaces) that makes something VirtualBox keeps. */
function creates(call: string): boolean {
  const [sub, second, third] = call.split(' ');
  if (['import', 'clonemedium', 'clonevm', 'createmedium'].includes(sub)) return true;
  if (sub === 'hostonlyif') return second === 'create';
  if (sub === 'hostonlynet') return second === 'add';
  if (sub === 'snapshot') return third === 'take';
  // Attaching an ISO by its path registers it as a DVD medium.
  return sub === 'storageattach' && call.includes(' dvddrive ') && !call.endsWith(' --medium none');
}

/** Every file under dir (relative, sorted), without the stand-in's own bookkeeping and PATH link. */
function filesUnder(dir: string, skip: string[]): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (skip.includes(full)) continue;
      if (e.isDirectory()) walk(full);
      else found.push(path.relative(dir, full));
    }
  };
  walk(dir);
  return found.sort();
}

/** What VirtualBox keeps, by name and place (a made-again VM or disk has a new UUID). */
function registry(state: StandInState) {
  return {
    hostonlyifs: state.hostonlyifs.map((i) => `${i.name} ${i.ip}/${i.mask}`),
    hostonlynets: (state.hostonlynets ?? []).map((n) => n.name),
    vms: state.vms.map((v) => `${v.name} ${v.state} snapshots: ${v.snapshots.map((x) => x.name).join(',')}`),
    media: state.media.map((m) => m.location).sort(),
  };
}

let images: ImageServer;
beforeAll(async () => {
  images = await startImageServer({ fileName: UBUNTU_OVA_FILE });
});
afterAll(() => images.close());

requireTool('/usr/sbin/sshd')('a verb interrupted right after a creating VBoxManage call leaves nothing behind', () => {
  describe.each(SCENARIOS)('kubelab $verb', ({ verb, setup, teardown }) => {
    let s: StandInEnv;
    let project: string;
    let nodes: Awaited<ReturnType<typeof fakeNodes>>;
    let env: NodeJS.ProcessEnv;
    let backup: string;
    let setupCalls = 0;
    /** The verb's calls when nothing interrupts it, and what its teardown leaves (the setup's things). */
    let clean: { calls: string[]; registry: ReturnType<typeof registry>; files: string[] };
    const files = () => filesUnder(s.root, [s.stateDir, path.join(s.root, 'bin')]);

    const run = async (argv: string[], extra: NodeJS.ProcessEnv = {}): Promise<Run> => kubelab({ ...env, ...extra }, project, ...argv);
    const expectDone = (r: Run, argv: string[]) => expect({ argv, code: r.code, error: r.stderr.match(/.*error.*/i)?.[0] }).toEqual({ argv, code: 0, error: undefined });
    /** Puts the scratch back to how the setup left it. */
    const restore = () => {
      fs.rmSync(s.root, { recursive: true, force: true });
      fs.cpSync(backup, s.root, { recursive: true, verbatimSymlinks: true });
    };

    beforeAll(async () => {
      ({ s, project } = scratchLab(images.baseUrl));
      nodes = await fakeNodes(project);
      env = { ...s.env, ...nodes.env };
      for (const argv of setup) expectDone(await run(argv), argv);
      setupCalls = s.calls().length;
      const before = registry(s.state());
      backup = `${s.root}.setup`;
      fs.cpSync(s.root, backup, { recursive: true, verbatimSymlinks: true });

      expectDone(await run(verb), verb);
      const calls = s.calls().slice(setupCalls);
      for (const argv of teardown) expectDone(await run(argv), argv);
      clean = { calls, registry: registry(s.state()), files: files() };
      // The teardown leaves what the setup made (for a snapshot, the VM goes with it).
      expect(clean.registry).toEqual(verb[0] === 'snapshot' ? { ...before, vms: ['kubelab-base poweroff snapshots: kubelab-base'], media: clean.registry.media } : before);
      restore();
    }, 120_000);
    afterAll(async () => {
      await nodes?.stop();
      s?.cleanup();
      if (backup) fs.rmSync(backup, { recursive: true, force: true });
    });

    test('makes something VirtualBox keeps (else this scenario tests nothing)', () => {
      expect(clean.calls.filter(creates)).not.toEqual([]);
    });

    // The cases are the verb's creating calls, known only once it ran: one test walks them all.
    test.each(SIGNALS)('%s right after each creating call: the next run and the teardown leave nothing', async (signal) => {
      const steps = clean.calls.map((call, i) => ({ call, number: setupCalls + i + 1 })).filter((c) => creates(c.call));
      const outcomes: string[] = [];
      for (const step of steps) {
        restore();
        const interrupted = await run(verb, { VBOXMANAGE_STANDIN_INTERRUPT: `${step.number}:${signal}` });
        const lines = [`after '${step.call}': ${interrupted.signal ?? `exit ${interrupted.code}`}`];
        const again = await run(verb);
        lines.push(`  rerun: exit ${again.code}${again.code === 0 ? '' : ` ${again.stderr.trim()}`}`);
        for (const argv of teardown) {
          const r = await run(argv);
          if (r.code !== 0) lines.push(`  ${argv.join(' ')}: exit ${r.code} ${r.stderr.trim()}`);
        }
        const left = registry(s.state());
        if (JSON.stringify(left) !== JSON.stringify(clean.registry)) lines.push(`  in VirtualBox: ${JSON.stringify(left)}, not ${JSON.stringify(clean.registry)}`);
        const now = files();
        const extra = now.filter((f) => !clean.files.includes(f));
        const missing = clean.files.filter((f) => !now.includes(f));
        if (extra.length || missing.length) lines.push(`  files: extra ${JSON.stringify(extra)}, missing ${JSON.stringify(missing)}`);
        outcomes.push(lines.join('\n'));
      }
      // Each step's report: what interrupted it, then only what went wrong.
      expect(outcomes.join('\n')).toBe(steps.map((st) => `after '${st.call}': ${signal}\n  rerun: exit 0`).join('\n'));
    }, 300_000);
  });
});
