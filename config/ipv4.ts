/** Small IPv4 helpers for the lab's host-only network. */

export interface Ipv4Subnet {
  /** The network address, e.g. 192.168.56.0. */
  readonly network: string;
  readonly prefixLength: number;
  /** Dotted netmask, e.g. 255.255.255.0 (VBoxManage wants this form). */
  readonly netmask: string;
  readonly broadcast: string;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(value: string): boolean {
  return IPV4.test(value);
}

export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function intToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Parses "a.b.c.d/n"; returns undefined when it is not a CIDR whose address is the network address. */
export function parseCidr(cidr: string): Ipv4Subnet | undefined {
  const match = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  if (!match || !isIpv4(match[1])) return undefined;
  const prefixLength = Number(match[2]);
  if (prefixLength < 8 || prefixLength > 30) return undefined;
  const size = 2 ** (32 - prefixLength);
  const base = ipv4ToInt(match[1]);
  if (base % size !== 0) return undefined;
  return {
    network: match[1],
    prefixLength,
    netmask: intToIpv4(2 ** 32 - size),
    broadcast: intToIpv4(base + size - 1),
  };
}

export function subnetContains(subnet: Ipv4Subnet, ip: string): boolean {
  const size = 2 ** (32 - subnet.prefixLength);
  const base = ipv4ToInt(subnet.network);
  const value = ipv4ToInt(ip);
  return value >= base && value < base + size;
}

/** True when the whole subnet lies inside the outer one. */
export function subnetWithin(inner: Ipv4Subnet, outer: Ipv4Subnet): boolean {
  return subnetContains(outer, inner.network) && subnetContains(outer, inner.broadcast);
}

/**
 * Address blocks a host-only network cannot use (IANA special-purpose registry, RFC 6890;
 * multicast RFC 5771, link-local RFC 3927 — ranges as widely published, not re-read here).
 */
const SPECIAL_RANGES: readonly [string, string][] = [
  ['0.0.0.0/8', '0.0.0.0/8 ("this network")'],
  ['127.0.0.0/8', 'the loopback range 127.0.0.0/8'],
  ['169.254.0.0/16', 'the link-local range 169.254.0.0/16'],
  ['224.0.0.0/4', 'the multicast range 224.0.0.0/4'],
  ['240.0.0.0/4', 'the reserved range 240.0.0.0/4'],
];

/** The special range a CIDR (or "a.b.c.d/32") overlaps, in words; undefined for an ordinary one. */
export function specialRangeOf(cidr: string): string | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  if (!m || !isIpv4(m[1])) return undefined;
  const prefix = Number(m[2]);
  const size = 2 ** (32 - prefix);
  const start = Math.floor(ipv4ToInt(m[1]) / size) * size;
  const end = start + size - 1;
  for (const [range, words] of SPECIAL_RANGES) {
    const [net, bits] = range.split('/');
    const rStart = ipv4ToInt(net);
    const rEnd = rStart + 2 ** (32 - Number(bits)) - 1;
    if (start <= rEnd && rStart <= end) return words;
  }
  return undefined;
}
