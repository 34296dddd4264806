import { NodeReturn } from '../../cli/cluster/node-return';

/** A node counts as back only when Ready and its kubelet wrote its Lease after the first look. */
describe('NodeReturn: a node is back when Ready and its Lease changed since the first look', () => {
  const t = Date.parse('2026-12-06T07:00:00Z');

  test('stale Ready with the same lease is not back; a later renewal is', () => {
    const r = new NodeReturn(['cp1']);
    expect(r.see([{ name: 'cp1', ready: true, leaseRenewedMs: t }])).toEqual({ back: false, nodes: [{ name: 'cp1', back: false, text: 'Ready, lease not renewed yet' }] });
    expect(r.see([{ name: 'cp1', ready: true, leaseRenewedMs: t }]).back).toBe(false);
    expect(r.see([{ name: 'cp1', ready: true, leaseRenewedMs: t + 10_000 }])).toEqual({ back: true, nodes: [{ name: 'cp1', back: true, text: 'Ready' }] });
  });

  test('a renewal stamped earlier than the first look still counts: the guest clock went back (a snapshot restored with its memory, a clock corrected at boot)', () => {
    const r = new NodeReturn(['cp2']);
    r.see([{ name: 'cp2', ready: true, leaseRenewedMs: t }]);
    // The restored kubelet renews with the clock the snapshot had: hours earlier.
    expect(r.see([{ name: 'cp2', ready: true, leaseRenewedMs: t - 3 * 3600_000 }]).back).toBe(true);
  });

  test('no lease at the first look, one later: back; never a lease: not back', () => {
    const r = new NodeReturn(['w1', 'w2']);
    r.see([{ name: 'w1', ready: true }, { name: 'w2', ready: true }]);
    const seen = r.see([{ name: 'w1', ready: true, leaseRenewedMs: t }, { name: 'w2', ready: true }]);
    expect(seen.nodes.map((n) => [n.name, n.back])).toEqual([['w1', true], ['w2', false]]);
    expect(seen.back).toBe(false);
  });

  test('NotReady and unregistered nodes are not back, whatever their lease says; the summary names each', () => {
    const r = new NodeReturn(['cp1', 'w1', 'w2']);
    r.see([]);
    const seen = r.see([{ name: 'cp1', ready: false, leaseRenewedMs: t }, { name: 'w1', ready: undefined, leaseRenewedMs: t }]);
    expect(seen.back).toBe(false);
    expect(NodeReturn.summary(seen.nodes)).toBe('cp1 NotReady, w1 not joined, w2 not joined');
  });
});
