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
  /**
   * Written before `hostonlyif create` (name still empty), whose interface VirtualBox names:
   * the interfaces there were. One that is new afterwards is the one that create made,
   * even when kubelab was stopped before it could note the name.
   */
  readonly creating?: { readonly before: readonly string[] };
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
    const ours = recorded?.name === name && recorded.kind === kind && recorded.created;
    if (existing && ours && (existing.netmask !== subnet.netmask || existing.lowerIp !== cfg.network.hostIp || existing.upperIp !== cfg.network.hostIp)) {
      // `hostonlynet add` makes the network by name, then sets mask, range and enabled one call each
      // (VBoxManageHostonly.cpp handleNetAdd, VirtualBox/virtualbox commit 4908d8d1): stopped in between,
      // it leaves this lab's network without them.
      await vb.run(vbox.hostOnlyNetModify(name, subnet.netmask, cfg.network.hostIp, cfg.network.hostIp));
      out(`kubelab: host-only network ${name} was left half made by an interrupted network up; set it to ${cfg.network.cidr}`);
      return recorded!;
    }
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
  let mine = recorded && recorded.kind === kind ? ifs.find((i) => i.name === recorded.name) : undefined;
  const adopted = recorded?.creating ? madeByInterruptedCreate(recorded, ifs, paths) : undefined;
  if (adopted) {
    mine = ifs.find((i) => i.name === adopted);
    out(`kubelab: host-only interface ${adopted} was made by a network up that was interrupted; using it`);
  }
  const byAddress = ifs.find((i) => i.ip === cfg.network.hostIp && i.netmask === subnet.netmask);
  // An adopted interface may show VirtualBox's default address without having been set up: it gets its ipconfig.
  if (!adopted && byAddress && (!mine || mine.name === byAddress.name)) {
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
    // Recorded before the create: VirtualBox makes the interface even when kubelab (or VBoxManage) is stopped
    // right after asking for it (VBoxManageHostonly.cpp handleCreate: Host::CreateHostOnlyNetworkInterface runs in
    // VBoxSVC behind a progress object; VirtualBox/virtualbox commit 4908d8d1), so the next run adopts it and
    // network down removes it. Which interface it is is read from the list, not from its (translated) sentence.
    const before = ifs.map((i) => i.name);
    record({ lab: cfg.name, kind, name: '', created: true, cidr: cfg.network.cidr, hostIp: cfg.network.hostIp, creating: { before } });
    await vb.run(vbox.hostOnlyIfCreate());
    const made = parseHostOnlyIfs(await vb.run(vbox.listHostOnlyIfs())).find((i) => !before.includes(i.name))?.name;
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
  if (r.creating) {
    const made = madeByInterruptedCreate(r, parseHostOnlyIfs(await vb.run(vbox.listHostOnlyIfs())), paths);
    if (made) {
      await vb.run(vbox.hostOnlyIfRemove(made));
      out(`kubelab: removed host-only interface ${made} (made by a network up that was interrupted)`);
    } else out(`kubelab: the interrupted network up of lab ${lab} made no host-only interface; nothing to do`);
  } else if (!r.created) {
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

/**
 * The interface an interrupted `hostonlyif create` made: the one not listed before it.
 * Refuses to guess when several appeared since (someone else made one meanwhile).
 */
function madeByInterruptedCreate(r: NetworkRecord, ifs: readonly { name: string }[], paths: LabPaths): string | undefined {
  const made = ifs.filter((i) => !r.creating!.before.includes(i.name)).map((i) => i.name);
  if (made.length > 1) {
    throw new KubelabError(
      `host-only interfaces ${made.join(', ')} appeared after a network up of lab ${r.lab} was interrupted (${networkRecordPath(paths)}); kubelab made one of them and cannot tell which. Remove the one(s) you did not make (VirtualBox > File > Tools > Network Manager, or VBoxManage hostonlyif remove <name>) and run again.`,
    );
  }
  return made[0];
}

function inRange(ip: string, lower: string, upper: string): boolean {
  const quad = /^\d{1,3}(\.\d{1,3}){3}$/;
  if (!quad.test(lower) || !quad.test(upper)) return false;
  return ipv4ToInt(ip) >= ipv4ToInt(lower) && ipv4ToInt(ip) <= ipv4ToInt(upper);
}
