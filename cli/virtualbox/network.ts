import * as fs from 'fs';
import * as path from 'path';
import { ipv4ToInt, parseCidr } from '../../config/ipv4';
import { LabConfig, LabNode } from '../../config/lab-config';
import { LabPaths } from '../../config/paths';
import { KubelabError } from '../errors';
import { writeFileAtomic } from '../state-dir';
import { HostOnlyAttachment, vbox } from './commands';
import { parseHostOnlyIfs, parseHostOnlyNets } from './parse';
import { lockStaleMs, withFileLock } from '../file-lock';
import { VBoxManage } from './vboxmanage';
import { userCacheDir } from '../image/cache-dir';

/** What `network up` did, kept in the lab state dir so `network down` works without the config. */
export interface NetworkRecord extends HostOnlyAttachment {
  readonly lab: string;
  /** True when this lab created the interface/network (and so may remove it). */
  readonly created: boolean;
  readonly cidr: string;
  readonly hostIp: string;
}

export function networkRecordPath(paths: LabPaths): string {
  return path.join(paths.stateDir, 'network.json');
}

export function readNetworkRecord(paths: LabPaths): NetworkRecord | undefined {
  const file = networkRecordPath(paths);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as NetworkRecord) : undefined;
}

/** What `network up` needs: the lab's name, its network, and the node addresses it must not lease by DHCP. */
export type HostOnlySpec = Pick<LabConfig, 'name' | 'network'> & { readonly nodes: readonly Pick<LabNode, 'name' | 'ip'>[] };

/** macOS with VirtualBox 7 has host-only networks instead of host-only interfaces. */
export function hostOnlyKind(platform: NodeJS.Platform = process.platform): HostOnlyAttachment['kind'] {
  return platform === 'darwin' ? 'hostonlynet' : 'hostonlyif';
}

/**
 * Makes sure the host-only network of config.network exists with the host's address:
 * reuses the one recorded by an earlier run, or an existing interface that already has
 * the host address, or creates one (recorded as created, so only then `down` removes it).
 */
export function networkUp(vb: VBoxManage, cfg: HostOnlySpec, paths: LabPaths, out: (line: string) => void, platform = process.platform): Promise<NetworkRecord> {
  // Several `vm create` may bring the network up at once: without the lock each would create an interface.
  return withFileLock(path.join(userCacheDir(), 'locks', 'host-only-network.lock'), { staleMs: lockStaleMs(), waitMs: 10 * 60 * 1000 }, () =>
    bringUp(vb, cfg, paths, out, platform),
  );
}

async function bringUp(vb: VBoxManage, cfg: HostOnlySpec, paths: LabPaths, out: (line: string) => void, platform: NodeJS.Platform): Promise<NetworkRecord> {
  const subnet = parseCidr(cfg.network.cidr)!;
  const kind = hostOnlyKind(platform);
  const recorded = readNetworkRecord(paths);
  const record = (r: NetworkRecord) => {
    writeFileAtomic(networkRecordPath(paths), `${JSON.stringify(r, null, 2)}\n`);
    return r;
  };

  if (kind === 'hostonlynet') {
    const name = `${cfg.name}-net`;
    const nets = parseHostOnlyNets(await vb.run(vbox.listHostOnlyNets()));
    const existing = nets.find((n) => n.name === name);
    if (existing) {
      const leased = cfg.nodes.filter((n) => inRange(n.ip, existing.lowerIp, existing.upperIp));
      if (leased.length > 0) {
        throw new KubelabError(
          `host-only network ${name} hands out ${existing.lowerIp}-${existing.upperIp} by DHCP, which covers the node address${leased.length > 1 ? 'es' : ''} ${leased.map((n) => `${n.ip} (${n.name})`).join(', ')}; remove it (npx kubelab network down, or VirtualBox > Tools > Network) and run again, so kubelab makes it with a range of the host address only`,
        );
      }
      out(`kubelab: host-only network ${name} already exists; nothing to do`);
      return recorded?.name === name ? recorded : record({ lab: cfg.name, kind, name, created: false, cidr: cfg.network.cidr, hostIp: cfg.network.hostIp });
    }
    const r = record({ lab: cfg.name, kind, name, created: true, cidr: cfg.network.cidr, hostIp: cfg.network.hostIp });
    // Lower and upper are both the host address, as Vagrant does for static host-only
    // networks (hashicorp/vagrant plugins/providers/virtualbox/driver/version_7_0.rb,
    // create_host_only_network): the host still takes the lower address, and the DHCP
    // range, which is lower..upper, holds no node address.
    await vb.run(vbox.hostOnlyNetAdd(name, subnet.netmask, cfg.network.hostIp, cfg.network.hostIp));
    out(`kubelab: created host-only network ${name} (${cfg.network.cidr})`);
    return r;
  }

  const ifs = parseHostOnlyIfs(await vb.run(vbox.listHostOnlyIfs()));
  const mine = recorded && recorded.kind === kind ? ifs.find((i) => i.name === recorded.name) : undefined;
  const byAddress = ifs.find((i) => i.ip === cfg.network.hostIp && i.netmask === subnet.netmask);
  if (byAddress && (!mine || mine.name === byAddress.name)) {
    out(`kubelab: host-only interface ${byAddress.name} already has ${cfg.network.hostIp}/${subnet.netmask}; nothing to do`);
    return mine ? recorded! : record({ lab: cfg.name, kind, name: byAddress.name, created: false, cidr: cfg.network.cidr, hostIp: cfg.network.hostIp });
  }
  const clash = ifs.find((i) => i.ip === cfg.network.hostIp);
  if (clash && clash.name !== mine?.name) {
    throw new KubelabError(
      `host-only interface ${clash.name} already has the address ${cfg.network.hostIp} but netmask ${clash.netmask}, not ${subnet.netmask} (${cfg.network.cidr}). Change network.cidr, or fix that interface in VirtualBox (File > Tools > Network Manager).`,
    );
  }
  let name = mine?.name;
  let created = recorded?.created ?? false;
  if (!name) {
    // Which interface `hostonlyif create` made is read from the list, not from its (translated) sentence.
    const before = new Set(ifs.map((i) => i.name));
    await vb.run(vbox.hostOnlyIfCreate());
    const made = parseHostOnlyIfs(await vb.run(vbox.listHostOnlyIfs())).find((i) => !before.has(i.name))?.name;
    if (!made) throw new KubelabError("VBoxManage hostonlyif create succeeded but no new interface is listed; run 'VBoxManage list hostonlyifs' to look");
    name = made;
    created = true;
    record({ lab: cfg.name, kind, name, created, cidr: cfg.network.cidr, hostIp: cfg.network.hostIp });
    out(`kubelab: created host-only interface ${name}`);
  }
  await vb.run(vbox.hostOnlyIfIpconfig(name, cfg.network.hostIp, subnet.netmask));
  out(`kubelab: host-only interface ${name} set to ${cfg.network.hostIp}/${subnet.netmask}`);
  return record({ lab: cfg.name, kind, name, created, cidr: cfg.network.cidr, hostIp: cfg.network.hostIp });
}

/** Removes the host-only interface/network, only if this lab created it; then forgets it. */
export async function networkDown(vb: VBoxManage, lab: string, paths: LabPaths, out: (line: string) => void): Promise<void> {
  const r = readNetworkRecord(paths);
  if (!r) {
    out(`kubelab: no host-only network recorded for lab ${lab} (${networkRecordPath(paths)}); nothing to do`);
    return;
  }
  if (r.lab !== lab) throw new KubelabError(`${networkRecordPath(paths)} belongs to lab '${r.lab}', not '${lab}'; pass --lab ${r.lab}`);
  if (!r.created) {
    out(`kubelab: host-only ${r.kind === 'hostonlynet' ? 'network' : 'interface'} ${r.name} was there before the lab; leaving it`);
  } else if (r.kind === 'hostonlynet') {
    if (parseHostOnlyNets(await vb.run(vbox.listHostOnlyNets())).some((n) => n.name === r.name)) {
      await vb.run(vbox.hostOnlyNetRemove(r.name));
      out(`kubelab: removed host-only network ${r.name}`);
    } else out(`kubelab: host-only network ${r.name} is already gone`);
  } else if (parseHostOnlyIfs(await vb.run(vbox.listHostOnlyIfs())).some((i) => i.name === r.name)) {
    await vb.run(vbox.hostOnlyIfRemove(r.name));
    out(`kubelab: removed host-only interface ${r.name}`);
  } else out(`kubelab: host-only interface ${r.name} is already gone`);
  fs.rmSync(networkRecordPath(paths), { force: true });
}

function inRange(ip: string, lower: string, upper: string): boolean {
  const quad = /^\d{1,3}(\.\d{1,3}){3}$/;
  if (!quad.test(lower) || !quad.test(upper)) return false;
  return ipv4ToInt(ip) >= ipv4ToInt(lower) && ipv4ToInt(ip) <= ipv4ToInt(upper);
}
