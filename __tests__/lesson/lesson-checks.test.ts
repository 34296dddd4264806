/**
 * Every lesson's checks, both ways: a cluster state that meets each goal, and one that misses
 * it with the message naming what is missing. The state lives in the Kubernetes API stand-in
 * (no controller runs there: each test puts the objects a controller would have left).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { LESSONS } from '../../lessons';
import { resourcePath } from '../../cli/lesson/api-kinds';
import { HA_NODES } from '../support/lab-shapes';
import { KubeApiStandIn, healthyLab } from '../support/kube-api-standin';
import { IngressRoutesStandIn, LessonCli, LessonRun, scratchProject } from './lesson-harness';

const api = new KubeApiStandIn();
const ingress = new IngressRoutesStandIn(api);
let ingressAddress = '';
const lesson = new LessonCli(() => ingressAddress);
beforeAll(async () => {
  await api.start();
  ingressAddress = await ingress.start();
});
afterAll(async () => {
  lesson.stop();
  await ingress.stop();
  await api.stop();
});
beforeEach(() => api.reset());

/** `lesson check <id>` in a fresh project: what a learner sees. */
function check(id: string, configYaml?: string): Promise<LessonRun> {
  return lesson.run(scratchProject(api, configYaml), 'check', id);
}

const put = (kind: Parameters<typeof resourcePath>[0], namespace: string | undefined, object: any) =>
  api.put(resourcePath(kind, namespace, object.metadata.name), { kind, ...object, metadata: { ...object.metadata, ...(namespace ? { namespace } : {}) } });
const readyPodStatus = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
const deployment = (name: string, image: string, replicas: number, available: number, annotations: Record<string, string> = {}) => ({
  metadata: { name, generation: 1, annotations },
  spec: { replicas, template: { spec: { containers: [{ name: 'web', image }] } } },
  status: { observedGeneration: 1, replicas, updatedReplicas: available, availableReplicas: available },
});
const endpointSlice = (service: string, ready: number) => ({
  metadata: { name: `${service}-abc`, labels: { 'kubernetes.io/service-name': service } },
  endpoints: Array.from({ length: ready }, (_, i) => ({ addresses: [`10.42.1.${i + 2}`], conditions: { ready: true } })),
});

describe('pods-on-nodes', () => {
  const ns = 'lesson-pods-on-nodes';
  test('met: hello runs on w2 because its nodeSelector asks for w2', async () => {
    put('Pod', ns, { metadata: { name: 'hello' }, spec: { nodeName: 'w2', nodeSelector: { 'kubernetes.io/hostname': 'w2' } }, status: readyPodStatus });
    const r = await check('pods-on-nodes');
    expect(r.error).toBeUndefined();
    expect(r.lines).toContain('met      the pod hello is scheduled on the chosen node: it runs on w2, as its spec asks');
    expect(r.lines).toContain('kubelab: lesson pods-on-nodes done: all 2 goals met');
  });
  test.each([
    ['no pod', undefined, 'not met  the pod hello is scheduled on the chosen node: there is no pod hello in lesson-pods-on-nodes'],
    ['Pending', { nodeSelector: { 'kubernetes.io/hostname': 'w2' } }, 'not met  the pod hello is scheduled on the chosen node: it is not scheduled on any node yet (Pending)'],
    ['on w1', { nodeName: 'w1' }, 'not met  the pod hello is scheduled on the chosen node: it runs on w1, not w2'],
    ['on w2 by chance', { nodeName: 'w2' }, 'not met  the pod hello is scheduled on the chosen node: it landed on w2 by chance: nothing in its spec asks for w2'],
  ])('not met: %s', async (_, spec, line) => {
    if (spec) put('Pod', ns, { metadata: { name: 'hello' }, spec, status: { phase: 'Pending' } });
    const r = await check('pods-on-nodes');
    expect(r.lines).toContain(line);
    expect(r.error).toMatch(/^lesson pods-on-nodes: \d of 2 goals met; a hint: npx kubelab lesson hint$/);
  });
  test('not met: Running is checked on its own', async () => {
    put('Pod', ns, { metadata: { name: 'hello' }, spec: { nodeName: 'w2', nodeSelector: { 'kubernetes.io/hostname': 'w2' } }, status: { phase: 'Pending' } });
    expect((await check('pods-on-nodes')).lines).toContain('not met  the pod hello is Running: phase Pending');
  });
});

describe('rollout', () => {
  const ns = 'lesson-rollout';
  const replicaSet = (name: string, image: string) => ({ metadata: { name, labels: { app: 'web' } }, spec: { template: { spec: { containers: [{ name: 'web', image }] } } } });
  test('met: a ReplicaSet ran the update, web is back on the old image at revision 3, rolled out', async () => {
    put('ReplicaSet', ns, replicaSet('web-old', 'busybox:1.36.1'));
    put('ReplicaSet', ns, replicaSet('web-new', 'busybox:1.37.0'));
    put('Deployment', ns, deployment('web', 'busybox:1.36.1', 3, 3, { 'deployment.kubernetes.io/revision': '3' }));
    const r = await check('rollout');
    expect(r.lines).toEqual([
      'met      web was updated to busybox:1.37.0: a ReplicaSet of web runs busybox:1.37.0',
      'met      web was rolled back to busybox:1.36.1: web runs busybox:1.36.1 again, at revision 3',
      'met      the rollout is complete: 3/3 available, 3 updated',
      'kubelab: lesson rollout done: all 3 goals met',
    ]);
  });
  test('not met: never updated, still at revision 1', async () => {
    put('ReplicaSet', ns, replicaSet('web-old', 'busybox:1.36.1'));
    put('Deployment', ns, deployment('web', 'busybox:1.36.1', 3, 3, { 'deployment.kubernetes.io/revision': '1' }));
    const r = await check('rollout');
    expect(r.lines).toContain("not met  web was updated to busybox:1.37.0: web's ReplicaSets run only busybox:1.36.1");
    expect(r.lines).toContain('not met  web was rolled back to busybox:1.36.1: web runs busybox:1.36.1 at revision 1: not rolled back yet');
  });
  test('not met: updated but not rolled back, and the rollout is still under way', async () => {
    put('ReplicaSet', ns, replicaSet('web-new', 'busybox:1.37.0'));
    put('Deployment', ns, deployment('web', 'busybox:1.37.0', 3, 1, { 'deployment.kubernetes.io/revision': '2' }));
    const r = await check('rollout');
    expect(r.lines).toContain('not met  web was rolled back to busybox:1.36.1: web runs busybox:1.37.0 now');
    expect(r.lines).toContain('not met  the rollout is complete: not yet: 1/3 available, 1 updated');
  });
});

describe('service-ingress', () => {
  const ns = 'lesson-service-ingress';
  const host = 'hello.192.168.56.10.sslip.io';
  test('met: the Service has ready endpoints on port 80 and the host answers through the ingress', async () => {
    put('Service', ns, { metadata: { name: 'hello' }, spec: { selector: { app: 'hello' }, ports: [{ port: 80, targetPort: 8080 }] } });
    put('EndpointSlice', ns, endpointSlice('hello', 2));
    put('Ingress', ns, { metadata: { name: 'hello' }, spec: { rules: [{ host }] } });
    const r = await check('service-ingress');
    expect(r.lines).toEqual([
      'met      the Service hello sends port 80 to the pods: port 80 to 2 ready pods',
      `met      the URL answers through the ingress: http://${host}/ answers 200`,
      'kubelab: lesson service-ingress done: all 2 goals met',
    ]);
  });
  test.each([
    ['no Service', [], 'not met  the Service hello sends port 80 to the pods: there is no Service hello in lesson-service-ingress'],
    ['port 8080 only', [{ port: 8080 }], 'not met  the Service hello sends port 80 to the pods: it has no port 80 (ports: 8080)'],
    ['no endpoints', [{ port: 80 }], 'not met  the Service hello sends port 80 to the pods: it has no ready endpoints: its selector matches no ready pod'],
  ])('not met: %s', async (what, ports, line) => {
    if (what !== 'no Service') put('Service', ns, { metadata: { name: 'hello' }, spec: { ports } });
    const r = await check('service-ingress');
    expect(r.lines).toContain(line);
    expect(r.lines).toContain(`not met  the URL answers through the ingress: http://${host}/ answers 404 (404: no Ingress rule for this host yet)`);
  });
});

describe('hpa', () => {
  test('the scale-up is seen under load and kept; the scale-down is met only after the load stopped and replicas are back at 1', async () => {
    const project = scratchProject(api);
    const again = () => lesson.run(project, 'check', 'hpa');
    api.lab.hpa = { currentReplicas: 1, desiredReplicas: 1, cpu: 0 };
    let r = await again();
    expect(r.lines).toEqual([
      'not met  php-apache scaled above 1 replica under load: no load is running (npx kubelab load start)',
      'not met  after the load stopped, it scaled back to 1: first see it scale up under load',
    ]);
    // The load generator runs and the HPA has scaled to 4 (the stand-in's HPA reads under load).
    api.createdPods.set('hpa-demo/load-generator', { metadata: { name: 'load-generator' } });
    api.lab.hpa = { currentReplicas: 1, desiredReplicas: 1, cpu: 0, underLoad: { afterReads: 1, replicas: 4, cpu: 180 } };
    r = await again();
    expect(r.lines).toEqual([
      'met      php-apache scaled above 1 replica under load: seen at 4 replicas under load',
      'not met  after the load stopped, it scaled back to 1: the load still runs (npx kubelab load stop)',
    ]);
    api.createdPods.clear();
    api.lab.hpa = { currentReplicas: 2, desiredReplicas: 1, cpu: 10 };
    r = await again();
    expect(r.lines).toContain('not met  after the load stopped, it scaled back to 1: still 2 replicas: the HPA waits out its 5-minute window');
    api.lab.hpa = { currentReplicas: 1, desiredReplicas: 1, cpu: 0 };
    r = await again();
    expect(r.error).toBeUndefined();
    expect(r.lines).toEqual([
      'met      php-apache scaled above 1 replica under load: seen at 4 replicas under load',
      'met      after the load stopped, it scaled back to 1: back at 1 replica',
      'kubelab: lesson hpa done: all 2 goals met',
    ]);
  });
});

describe('node-down', () => {
  const ns = 'lesson-node-down';
  const pod = (name: string, node: string, extra: object = {}) => put('Pod', ns, { metadata: { name, labels: { app: 'spread' }, ...extra }, spec: { nodeName: node }, status: readyPodStatus });
  test('not met while pods are bound to the failed node and it accepts pods; met step by step', async () => {
    const project = scratchProject(api);
    const again = () => lesson.run(project, 'check', 'node-down');
    api.lab.nodes = healthyLab().nodes.map((n) => (n.name === 'w2' ? { ...n, ready: false } : n));
    pod('spread-1', 'cp1');
    pod('spread-2', 'w1');
    pod('spread-3', 'w2');
    pod('spread-4', 'w2');
    let r = await again();
    expect(r.lines).toEqual([
      'not met  all 4 replicas of spread run on the other nodes: 2 of 4 ready away from w2; 2 still bound to w2',
      'not met  the failed node was taken out of scheduling (cordoned): w2 still accepts pods (spec.unschedulable is not set)',
      'not met  the node is back, Ready and uncordoned: first cordon it while it is down',
    ]);
    // Drained: w2 cordoned, its pods terminating, replacements ready elsewhere.
    api.lab.nodes = api.lab.nodes.map((n) => (n.name === 'w2' ? { ...n, unschedulable: true } : n));
    pod('spread-3', 'w2', { deletionTimestamp: '2026-08-20T12:05:00Z' });
    pod('spread-4', 'w2', { deletionTimestamp: '2026-08-20T12:05:00Z' });
    pod('spread-5', 'w1');
    pod('spread-6', 'cp1');
    r = await again();
    expect(r.lines).toEqual([
      'met      all 4 replicas of spread run on the other nodes: 4 ready replicas away from w2',
      'met      the failed node was taken out of scheduling (cordoned): w2 was cordoned',
      'not met  the node is back, Ready and uncordoned: w2 is not Ready (npx kubelab vm start w2)',
    ]);
    api.lab.nodes = api.lab.nodes.map((n) => (n.name === 'w2' ? { ...n, ready: true } : n));
    r = await again();
    expect(r.lines).toContain('not met  the node is back, Ready and uncordoned: w2 is Ready but still cordoned');
    api.lab.nodes = healthyLab().nodes;
    r = await again();
    expect(r.lines).toContain('met      the node is back, Ready and uncordoned: w2 is Ready and takes pods');
  });
});

describe('network-policy', () => {
  const ns = 'lesson-network-policy';
  /** What the cluster's network would do with the probe's wget: decided by the policies in the store, as K3s's policy controller would. */
  const policyNetwork = (pod: any) => {
    const policies = [...api.objects.values()].filter((o) => o.kind === 'NetworkPolicy');
    if (!policies.some((p) => JSON.stringify(p.spec?.podSelector ?? {}) === '{}')) return 'Succeeded';
    const allowed = policies.some((p) => (p.spec?.ingress ?? []).some((rule: any) => (rule.from ?? []).some((f: any) => f.podSelector?.matchLabels?.role === pod.metadata.labels.role)));
    return allowed ? 'Succeeded' : 'Failed';
  };
  beforeEach(() => {
    api.probeOutcome = policyNetwork;
    put('EndpointSlice', ns, endpointSlice('web', 1));
  });
  test('not met with no policy: the other pod reaches web', async () => {
    const r = await check('network-policy');
    expect(r.lines).toContain('not met  a pod without role=client cannot reach web: the test pod reached web (Succeeded); policies: none');
    expect(r.lines).toContain('met      a pod with role=client reaches web: the role=client test pod got the page');
  });
  test('deny-all alone blocks the client too', async () => {
    put('NetworkPolicy', ns, { metadata: { name: 'deny-all' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } });
    const r = await check('network-policy');
    expect(r.lines).toContain('met      a pod without role=client cannot reach web: the test pod got no answer (policies: deny-all)');
    expect(r.lines).toContain('not met  a pod with role=client reaches web: the role=client test pod got no answer (Failed); policies: deny-all');
  });
  test('met with deny-all and allow-client; the probe pods are gone afterwards', async () => {
    put('NetworkPolicy', ns, { metadata: { name: 'deny-all' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } });
    put('NetworkPolicy', ns, { metadata: { name: 'allow-client' }, spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }] } });
    const r = await check('network-policy');
    expect(r.error).toBeUndefined();
    const probes = api.requests.filter((q) => q.method === 'PATCH' && q.path.includes('/pods/'));
    expect(probes.map((q) => [q.body.metadata.labels.role, q.body.spec.containers[0].command[2]])).toEqual([
      ['other', 'wget -q -T 5 -O /dev/null http://web'],
      ['client', 'wget -q -T 5 -O /dev/null http://web'],
    ]);
    expect([...api.objects.keys()].filter((k) => k.includes('/pods/'))).toEqual([]);
  });
  test('not met while web has no ready pod: a failed probe would prove nothing', async () => {
    api.objects.clear();
    expect((await check('network-policy')).lines).toContain('not met  a pod without role=client cannot reach web: web has no ready pod, so this proves nothing yet');
  });
});

describe('storage', () => {
  const ns = 'lesson-storage';
  test('not met without a claim, then Pending; met once Bound and the log holds two starts', async () => {
    let r = await check('storage');
    expect(r.lines).toContain('not met  the claim data is Bound to a volume on one node: there is no PersistentVolumeClaim data in lesson-storage');
    put('PersistentVolumeClaim', ns, { metadata: { name: 'data' }, spec: {}, status: { phase: 'Pending' } });
    r = await check('storage');
    expect(r.lines).toContain('not met  the claim data is Bound to a volume on one node: it is Pending: no pod uses it yet');
    expect(r.lines).toContain('not met  the data survived a restart of the pod: the claim is not Bound yet');
    put('PersistentVolumeClaim', ns, { metadata: { name: 'data' }, spec: { volumeName: 'pvc-123' }, status: { phase: 'Bound' } });
    put('PersistentVolume', undefined, {
      metadata: { name: 'pvc-123' },
      spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['w1'] }] }] } } },
    });
    api.probeOutcome = () => 'Failed';
    r = await check('storage');
    expect(r.lines).toContain('met      the claim data is Bound to a volume on one node: Bound to pvc-123, a folder on w1');
    expect(r.lines).toContain('not met  the data survived a restart of the pod: /data/starts.log holds fewer than two starts (Failed): delete the pod app and apply it again');
    api.probeOutcome = () => 'Succeeded';
    r = await check('storage');
    expect(r.error).toBeUndefined();
    const probe = api.requests.find((q) => q.method === 'PATCH' && q.path.endsWith('/pods/probe-starts'))!.body;
    expect(probe.spec.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }]);
  });
});

describe('break-fix', () => {
  const ns = 'lesson-break-fix';
  test('not met with the image typo and the selector typo, naming both; met once fixed', async () => {
    put('Deployment', ns, deployment('shop', 'busybox:1.37.0-typo', 2, 0));
    put('Pod', ns, { metadata: { name: 'shop-1', labels: { app: 'shop' } }, status: { phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'ImagePullBackOff' } } }] } });
    put('Service', ns, { metadata: { name: 'shop' }, spec: { selector: { app: 'shopp' } } });
    let r = await check('break-fix');
    expect(r.lines).toEqual([
      'not met  every pod of shop runs: 0/2 available, 0 updated; pods waiting: ImagePullBackOff',
      'not met  the Service shop sends traffic to its pods: no ready endpoints; its selector is {"app":"shopp"}',
    ]);
    put('Deployment', ns, deployment('shop', 'busybox:1.37.0', 2, 2));
    put('EndpointSlice', ns, endpointSlice('shop', 2));
    r = await check('break-fix');
    expect(r.error).toBeUndefined();
  });
});

describe('ha-server-down', () => {
  const ha = YAML.stringify({ nodes: HA_NODES });
  const etcdNodes = () => healthyLab().nodes.map((n, i) => ({ ...n, name: ['cp1', 'cp2', 'cp3'][i], etcd: true }));
  test('refused on a lab with one server, naming how to get three', async () => {
    const r = await lesson.run(scratchProject(api), 'start', 'ha-server-down');
    expect(r.error).toBe(
      'lesson ha-server-down: it needs 3 servers (an HA control plane) and this lab has 1. Give three nodes role: server in kubelab.config.yaml (docs/growing-the-lab.md), then run: npm run up',
    );
  });
  test('quorum seen with cp2 down and etcd ok; then cp2 back as an etcd member', async () => {
    const project = scratchProject(api, ha);
    const again = () => lesson.run(project, 'check', 'ha-server-down');
    api.lab.nodes = etcdNodes();
    let r = await again();
    expect(r.lines[0]).toBe('not met  the API and etcd answered while a server was down: cp2 is still Ready: it takes about 40 s to be seen down');
    api.lab.nodes = etcdNodes().map((n) => (n.name === 'cp2' ? { ...n, ready: false } : n));
    api.lab.etcdHealthy = false;
    r = await again();
    expect(r.lines[0]).toBe('not met  the API and etcd answered while a server was down: cp2 is down but /readyz/etcd answers 500');
    api.lab.etcdHealthy = true;
    r = await again();
    expect(r.lines).toEqual([
      'met      the API and etcd answered while a server was down: with cp2 down, /readyz/etcd answered ok',
      'not met  the server is back and an etcd member again: cp2 is not Ready (npx kubelab vm start cp2)',
    ]);
    api.lab.nodes = etcdNodes();
    r = await again();
    expect(r.lines[1]).toBe('met      the server is back and an etcd member again: cp2 is Ready with its etcd role');
  });
});

test('both lessons pages list every lesson', () => {
  for (const page of ['docs/lessons.md', 'docs/ko/lessons.md']) {
    const text = fs.readFileSync(path.join(__dirname, '..', '..', page), 'utf8');
    expect(LESSONS.filter((l) => !text.includes(`| \`${l.id}\` |`)).map((l) => l.id)).toEqual([]);
  }
});

test('every lesson has both languages in every text, at least one hint and one check, and a unique id', () => {
  const ids = LESSONS.map((l) => l.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const l of LESSONS) {
    for (const t of [l.title, l.goal, ...l.hints, ...l.checks.map((c) => c.goal)]) {
      expect(t.en.length).toBeGreaterThan(0);
      expect(t.ko).toMatch(/[\uac00-\ud7a3]/);
    }
    expect(l.hints.length).toBeGreaterThan(0);
    expect(l.checks.length).toBeGreaterThan(0);
  }
});
