import { KubelabError } from '../errors';
import { NodeSession, lastLines, sleep } from '../ssh/client';
import { withWait } from '../wait-progress';
import { K3sStepPlan } from '../../config/k3s-plan';
import { SUDO } from './remote';

/**
 * Waits until the K3s unit on the node is active: the unit is Type=notify, so systemd
 * calls it active only after K3s reported READY=1 (a server when it is up, an agent once it
 * reached the server). The node script starts it without blocking; this wait has the
 * deadline the unit lacks (TimeoutStartSec=0). On timeout the error quotes K3s's last log lines.
 */
export async function waitForK3sService(
  session: NodeSession,
  plan: Pick<K3sStepPlan, 'role' | 'service' | 'node'>,
  opts: { timeoutMs: number; pollMs: number; onProgress?: (line: string) => void },
): Promise<void> {
  const { service, node } = plan;
  await withWait(`K3s ${plan.role} (${service}) on ${node.name} to report ready to systemd`, { timeoutMs: opts.timeoutMs, out: opts.onProgress }, async (wait) => {
    for (;;) {
      const r = await session.exec(`systemctl show -p ActiveState -p SubState --value ${service}`);
      // Stryker disable next-line MethodExpression: equivalent: systemctl show --value prints each value at the start of its line; trim only drops the last newline, which split leaves as a third, unread element
      const [active, sub] = r.stdout.trim().split('\n');
      if (active === 'active') return;
      wait.seen = `${service} is ${active || 'unknown'}${sub ? ` (${sub})` : ''}`;
      // Stryker disable next-line EqualityOperator: equivalent: <= differs only when exactly pollMs is left, the same millisecond either way
      if (wait.remainingMs() < opts.pollMs) break;
      await sleep(opts.pollMs);
    }
    const log = await session.exec(`${SUDO} journalctl -u ${service} -n 6 --no-pager -o cat`);
    const lines = lastLines(log.stdout.trim(), 6).replace(/\n/g, ' | ') || '(no log lines)';
    const hint =
      plan.role === 'agent'
        ? `An agent reports ready only after it reached the server: check that the server runs (npx kubelab k3s server <server>) and answers on port 6443. `
        : '';
    throw new KubelabError(
      `${wait.timedOut().message}. Its last log lines: ${lines}. ${hint}Look further with: npx kubelab ssh ${node.name} "sudo journalctl -u ${service}"`,
    );
  });
}
