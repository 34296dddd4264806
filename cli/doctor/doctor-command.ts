import { Command } from 'commander';
import { CliContext } from '../context';
import { KubelabError } from '../errors';
import { LabConfig, vmNodes } from '../../config/lab-config';
import { LabPaths } from '../../config/paths';
import { Finding, HostFacts, formatFinding, realHostFacts, runChecks, terraformFinding } from './checks';
import { checkExistingHosts } from './existing-hosts';

/** What `kubelab doctor` checks for this lab; `npm run up` runs the same before Terraform. */
export async function doctorFindings(cfg: LabConfig, paths: LabPaths, host: HostFacts, stopOnFail: boolean): Promise<Finding[]> {
  // A lab of existing machines needs no VirtualBox: check Terraform and the machines instead.
  return vmNodes(cfg).length === 0 ? [await terraformFinding(host), ...(await checkExistingHosts(cfg, paths))] : runChecks(cfg, paths, host, stopOnFail);
}

/** `kubelab doctor [--preflight]`: can this host run the lab? Terraform runs the preflight before creating anything. */
export function registerDoctorCommand(program: Command, ctx: CliContext, host: () => HostFacts = realHostFacts): void {
  program
    .command('doctor')
    .description(
      'Check that this host can run the lab: an x86-64 CPU, VirtualBox >= 7.0 with its kernel module, no KVM holding VT-x/AMD-V (Linux), no Hyper-V slow mode (Windows), Terraform >= 1.5, RAM and CPUs, host-only range allowed, node addresses free; for existing machines as nodes: SSH login, passwordless sudo, OS, size',
    )
    .option('--preflight', 'stop at the first failing check (what npm run up checks before Terraform, and the vms stack before creating VMs)')
    .action(async (opts: { preflight?: boolean }) => {
      const findings = await doctorFindings(ctx.config, ctx.paths, host(), opts.preflight === true);
      for (const f of findings) ctx.out(formatFinding(f));
      const failed = findings.filter((f) => f.level === 'fail');
      if (failed.length > 0) {
        throw new KubelabError(`${failed.length} check${failed.length > 1 ? 's' : ''} failed (${failed.map((f) => f.check).join(', ')}); fix ${failed.length > 1 ? 'them' : 'it'} as said above, then run npx kubelab doctor again`);
      }
      const warned = findings.filter((f) => f.level === 'warn').length;
      ctx.out(`kubelab: this host can run the lab${warned ? ` (${warned} warning${warned > 1 ? 's' : ''} above)` : ''}`);
    });
}
