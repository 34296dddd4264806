import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { labStatusTable } from '../../cli/cluster/lab-status';
import { runCdktf } from '../../cli/deploy/cdktf-run';
import { lastTimings } from '../../cli/deploy/timings';
import { resolveLabConfig } from '../../config/load';
import { labUrls } from '../../config/urls';
import { VBoxManage } from '../../cli/virtualbox/vboxmanage';
import { hostThatFits } from '../support/host-facts';
import { requireTool } from '../support/tools';

/** A host where every doctor check passes, without asking the real one (no VirtualBox here, and no probes: nothing answers). */
// What VBoxManage 7.1.4 prints for --version (as the VBoxManage stand-in does).
const HOST_THAT_FITS = hostThatFits({ vboxManage: () => ({ executable: 'VBoxManage', run: async () => '7.1.4r165100\n' }) as unknown as VBoxManage });
/**
 * `npm run up` through the real cdktf CLI and terraform binary (part of `npm run test:terraform`,
 * not `npm test`: the cdktf start-up and synth alone take ~10 s). Providers come only from an
 * empty local mirror, so terraform init fails at once, offline: the run under test is a failing one.
 */
const ROOT = path.resolve(__dirname, '..', '..');

describe('npm run up with the real cdktf CLI', () => {
  requireTool('terraform')('with the real cdktf CLI and terraform', () => {
    let dir: string;
    beforeAll(() => {
      // A project dir of its own (cdktf.out, state and .kubelab land there), the app itself from this repo.
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-up-'));
      fs.copyFileSync(path.join(ROOT, 'cdktf.json'), path.join(dir, 'cdktf.json'));
      for (const f of ['bin', 'node_modules', 'package.json']) fs.symlinkSync(path.join(ROOT, f), path.join(dir, f));
      // Providers only from an empty local mirror: terraform init fails at once, offline, without a registry.
      fs.mkdirSync(path.join(dir, 'mirror'));
      fs.writeFileSync(path.join(dir, 'terraformrc'), `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(path.join(dir, 'mirror'))}\n  }\n}\n`);
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('a failing up prints plain lines (no screen redraws), stops after the failing phase and keeps its timing for status', async () => {
      const out: string[] = [];
      const code = await runCdktf('up', [], {
        projectDir: dir,
        out: (l) => out.push(l),
        err: (l) => out.push(l),
        color: false,
        env: { ...process.env, TF_CLI_CONFIG_FILE: path.join(dir, 'terraformrc'), CHECKPOINT_DISABLE: '1' },
        host: HOST_THAT_FITS,
      });
      const text = out.join('\n');
      expect(code).not.toBe(0);
      expect(out[0]).toMatch(/^kubelab: host checks passed \(virtualbox, kvm, terraform, memory, cpus, network, address\)/);
      expect(out[1]).toBe('kubelab: phase 1 of 3: VMs (vms)');
      expect(text).toMatch(/^vms {2}/m); // cdktf's own stack-prefixed lines come through
      expect(text).toMatch(/hashicorp\/null/); // Terraform's reason is shown
      expect(text).not.toMatch(/\x1b\[\d*[ABCDGJK]|\x1b\[\?25[lh]/); // no cursor moves, line erases or hidden cursor
      expect(text).not.toMatch(/\x1b\[/); // --no-color when not a terminal
      expect(text).not.toContain('phase 2 of 3'); // stopped after VMs
      expect(out.at(-2)).toMatch(/^kubelab: npm run up failed \(exit \d+\) after \d+s \(VMs \d+s\), started 20\d\d-/);
      // The last line is kubelab's, never cdktf's summary: phase, Terraform's reason, what to run next.
      expect(out.at(-1)).toMatch(/^kubelab: npm run up failed in phase 1 of 3 \(VMs\): Failed to query available provider packages; fix that, then run npm run up again/);
      const timings = lastTimings({ stateDir: path.join(dir, '.kubelab') } as never)!;
      expect(timings.phases.map((p) => p.phase)).toEqual(['VMs']);
      expect(timings.exitCode).toBe(code);
      expect(fs.statSync(path.join(dir, '.kubelab')).mode & 0o777).toBe(0o700);

      const config = resolveLabConfig({}).config;
      const table = await labStatusTable({ config, urls: labUrls(config), cluster: { unavailable: 'no kubeconfig yet' }, lastDeploy: timings });
      expect(table.at(-1)).toMatch(/^deploy +npm run up +exit \d+ +failed \(exit \d+\) after \d+s \(VMs \d+s\)/);
    }, 90_000);
  });
});
