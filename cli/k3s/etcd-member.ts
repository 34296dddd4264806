import { KubelabError } from '../errors';
import { NodeSession, lastLines, sleep } from '../ssh/client';
import { kubectlCommand } from './remote';

/**
 * K3s's managed etcd member controller (k3s-io/k3s pkg/etcd/member_controller.go, read at
 * commit 14cf9632; unverified at the pinned v1.36 tag): a server node annotated
 * `etcd.k3s.cattle.io/remove=true` has its etcd member removed, and K3s then records the
 * member's name in `etcd.k3s.cattle.io/removed-node-name`. Servers carry the label below.
 */
export const ETCD_REMOVE_ANNOTATION = 'etcd.k3s.cattle.io/remove';
export const ETCD_REMOVED_ANNOTATION = 'etcd.k3s.cattle.io/removed-node-name';
export const ETCD_ROLE_LABEL = 'node-role.kubernetes.io/etcd';

/** A jsonpath key with its dots escaped, as kubectl wants for label and annotation names. */
const jsonpathKey = (key: string) => key.replace(/\./g, '\\.');

export interface EtcdRemovalOptions {
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly onProgress?: (line: string) => void;
}

/**
 * Removes `nodeName`'s etcd member through `survivor` (another server that stays), and waits
 * until K3s confirms it. Must run before K3s is removed from that server: a member that
 * vanishes without leaving counts against quorum until someone removes it by hand.
 */
export async function removeEtcdMember(survivor: NodeSession, nodeName: string, opts: EtcdRemovalOptions): Promise<'removed' | 'not a member'> {
  const state = async () => {
    const r = await survivor.exec(
      kubectlCommand(`get node ${nodeName} -o jsonpath='{.metadata.labels.${jsonpathKey(ETCD_ROLE_LABEL)}} {.metadata.annotations.${jsonpathKey(ETCD_REMOVED_ANNOTATION)}}'`),
    );
    // Equivalent mutants: kubectl prints its errors on stderr, so without this line a failed query would read as
    // "no role, nothing removed" all the same; it says so instead. The query prints "<role> <removed>" with one space.
    // Stryker disable next-line ConditionalExpression,ObjectLiteral,BooleanLiteral
    if (r.code !== 0) return { exists: false, member: false, removed: '' };
    // Stryker disable next-line MethodExpression,Regex
    const [role, removed = ''] = r.stdout.trim().split(/\s+/);
    return { exists: true, member: role === 'true', removed };
  };
  const first = await state();
  if (!first.exists || !first.member) return 'not a member';
  if (!first.removed) {
    opts.onProgress?.(`kubelab: removing the etcd member of ${nodeName} (asked on ${survivor.target.nodeName})`);
    await survivor.run(kubectlCommand(`annotate node ${nodeName} ${ETCD_REMOVE_ANNOTATION}=true --overwrite`), { label: `annotating ${nodeName} for etcd member removal` });
  }
  const deadline = Date.now() + opts.timeoutMs;
  for (let s = first.removed ? first : await state(); ; s = await state()) {
    if (s.removed) {
      opts.onProgress?.(`kubelab: etcd member ${s.removed} of ${nodeName} removed`);
      return 'removed';
    }
    // Equivalent mutant (>=): the same millisecond decides either way.
    // Stryker disable next-line EqualityOperator
    if (Date.now() + opts.pollMs > deadline) {
      const health = await survivor.exec(kubectlCommand('get --raw /readyz/etcd'));
      throw new KubelabError(
        `K3s did not confirm the removal of ${nodeName}'s etcd member within ${Math.round(opts.timeoutMs / 1000)} s (no ${ETCD_REMOVED_ANNOTATION} annotation); ` +
          `etcd on ${survivor.target.nodeName} says: ${lastLines(`${health.stdout}${health.stderr}`, 1) || `exit status ${health.code}`}. ` +
          `K3s is still installed on ${nodeName}: look at the K3s log of ${survivor.target.nodeName} (journalctl -u k3s) and run the step again.`,
      );
    }
    await sleep(opts.pollMs);
  }
}
