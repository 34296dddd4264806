import { intToIpv4, ipv4ToInt, isIpv4, parseCidr, specialRangeOf, subnetContains, subnetWithin } from '../../config/ipv4';

/**
 * The IPv4 arithmetic every network check stands on (the lab's network, node addresses, the
 * host-only network VirtualBox creates, doctor's range check). Expected values are worked out
 * by hand from dotted-quad notation (RFC 791 byte order, CIDR prefix RFC 4632), not from the code.
 */
describe('IPv4 addresses', () => {
  test.each(['0.0.0.0', '9.9.9.9', '10.0.2.15', '99.100.199.200', '192.168.56.10', '249.250.251.255', '255.255.255.255'])('%s is an address', (a) => {
    expect(isIpv4(a)).toBe(true);
  });

  test.each([
    ['a fourth octet of 256', '192.168.56.256'],
    ['a first octet of 260', '260.1.1.1'],
    ['a leading zero', '192.168.56.011'],
    ['three octets', '192.168.56'],
    ['five octets', '1.2.3.4.5'],
    ['a space before it', ' 1.2.3.4'],
    ['text after it', '1.2.3.4x'],
    ['text before it', 'x1.2.3.4'],
    ['an empty octet', '1..3.4'],
    ['a letter for a digit', '1.2.3.a'],
    ['a comma for a dot', '1,2.3.4'],
    ['a three-digit octet above 255', '1.2.3.300'],
    ['empty', ''],
  ])('%s is not an address', (_what, a) => {
    expect(isIpv4(a)).toBe(false);
  });

  test.each<[string, number]>([
    ['0.0.0.0', 0],
    ['0.0.0.1', 1],
    ['0.0.1.0', 256],
    ['1.2.3.4', 16909060],
    ['192.168.56.10', 3232249866],
    ['255.255.255.255', 4294967295],
  ])('%s is the number %d and back', (a, n) => {
    expect(ipv4ToInt(a)).toBe(n);
    expect(intToIpv4(n)).toBe(a);
  });
});

describe('CIDR networks', () => {
  test.each<[string, string, string]>([
    ['10.0.0.0/8', '255.0.0.0', '10.255.255.255'],
    ['172.16.0.0/12', '255.240.0.0', '172.31.255.255'],
    ['192.168.56.0/24', '255.255.255.0', '192.168.56.255'],
    ['192.168.56.64/26', '255.255.255.192', '192.168.56.127'],
    ['192.168.56.4/30', '255.255.255.252', '192.168.56.7'],
  ])('%s has netmask %s and broadcast %s', (cidr, netmask, broadcast) => {
    const [network, prefix] = cidr.split('/');
    expect(parseCidr(cidr)).toEqual({ network, prefixLength: Number(prefix), netmask, broadcast });
  });

  test.each([
    ['host bits set', '192.168.56.1/24'],
    ['host bits set in a /30', '192.168.56.6/30'],
    ['a prefix below /8', '10.0.0.0/7'],
    ['a /31 (no room for a host and a node)', '192.168.56.0/31'],
    ['a /32', '192.168.56.10/32'],
    ['no prefix', '192.168.56.0'],
    ['a three-digit prefix', '192.168.56.0/024'],
    ['not an address', '192.168.56/24'],
    ['text before it', 'x192.168.56.0/24'],
    ['text after it', '192.168.56.0/24x'],
  ])('%s is no network', (_what, cidr) => {
    expect(parseCidr(cidr)).toBeUndefined();
  });

  test('an address is inside from the network address to the broadcast, and nowhere else', () => {
    const net = parseCidr('192.168.56.0/24')!;
    expect(['192.168.56.0', '192.168.56.1', '192.168.56.255'].map((a) => subnetContains(net, a))).toEqual([true, true, true]);
    expect(['192.168.55.255', '192.168.57.0', '10.0.0.1'].map((a) => subnetContains(net, a))).toEqual([false, false, false]);
  });

  test('a network lies within another only when both its ends do', () => {
    const outer = parseCidr('192.168.56.0/21')!; // 192.168.56.0 - 192.168.63.255
    expect(subnetWithin(parseCidr('192.168.56.0/24')!, outer)).toBe(true);
    expect(subnetWithin(parseCidr('192.168.63.0/24')!, outer)).toBe(true);
    expect(subnetWithin(outer, outer)).toBe(true);
    expect(subnetWithin(parseCidr('192.168.48.0/20')!, outer)).toBe(false); // starts before, ends inside's end
    expect(subnetWithin(parseCidr('192.168.64.0/24')!, outer)).toBe(false); // after it
    expect(subnetWithin(parseCidr('192.168.0.0/16')!, outer)).toBe(false); // around it
  });
});

describe('the special ranges a host-only network cannot use (RFC 6890 registry, RFC 5771, RFC 3927)', () => {
  test.each<[string, string]>([
    ['0.0.0.0/24', '0.0.0.0/8'],
    ['0.255.255.255/32', '0.0.0.0/8'],
    ['127.0.0.0/24', 'loopback range 127.0.0.0/8'],
    ['127.255.255.0/24', 'loopback range 127.0.0.0/8'],
    ['169.254.0.0/24', 'link-local range 169.254.0.0/16'],
    ['169.254.255.0/24', 'link-local range 169.254.0.0/16'],
    ['224.0.0.0/24', 'multicast range 224.0.0.0/4'],
    ['239.255.255.0/24', 'multicast range 224.0.0.0/4'],
    ['240.0.0.0/24', 'reserved range 240.0.0.0/4'],
    ['255.255.255.255/32', 'reserved range 240.0.0.0/4'],
    // a network around a range, and one that only starts below it
    ['120.0.0.0/5', 'loopback range 127.0.0.0/8'],
    ['169.254.0.0/15', 'link-local range 169.254.0.0/16'],
  ])('%s overlaps the %s', (cidr, words) => {
    expect(specialRangeOf(cidr)).toContain(words);
  });

  test.each<[string, string]>([
    ['127.0.0.0/32', 'loopback'],
    ['169.254.0.0/32', 'link-local'],
    ['224.0.0.0/32', 'multicast'],
    ['240.0.0.0/32', 'reserved'],
  ])('%s, which ends on the first address of a range, overlaps it (%s)', (cidr, words) => {
    expect(specialRangeOf(cidr)).toContain(words);
  });

  test('a network with host bits set is judged by the whole network it names', () => {
    // 126.0.0.1/7 is 126.0.0.0 - 127.255.255.255, which holds the loopback range.
    expect(specialRangeOf('126.0.0.1/7')).toContain('loopback');
  });

  test('each range is named in words a user can act on', () => {
    expect([specialRangeOf('0.1.0.0/16'), specialRangeOf('127.0.0.1/32'), specialRangeOf('169.254.1.1/32'), specialRangeOf('230.0.0.0/8'), specialRangeOf('250.0.0.0/8')]).toEqual([
      '0.0.0.0/8 ("this network")',
      'the loopback range 127.0.0.0/8',
      'the link-local range 169.254.0.0/16',
      'the multicast range 224.0.0.0/4',
      'the reserved range 240.0.0.0/4',
    ]);
  });

  test.each(['1.0.0.0/8', '126.255.255.0/24', '128.0.0.0/24', '169.253.255.0/24', '169.255.0.0/24', '223.255.255.0/24', '192.168.56.0/24', '10.0.0.0/8'])('%s is an ordinary network', (cidr) => {
    expect(specialRangeOf(cidr)).toBeUndefined();
  });

  test.each(['127.0.0.0', '127.0.0/8', 'x127.0.0.0/8', '127.0.0.0/8x', '127.0.0.0/008'])('%s is not a CIDR and names no range', (cidr) => {
    expect(specialRangeOf(cidr)).toBeUndefined();
  });
});
