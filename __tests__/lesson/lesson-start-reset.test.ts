/**
 * `lesson start` and `lesson reset` through the snapshot verbs, against the VBoxManage
 * STAND-IN (not VirtualBox) and the Kubernetes API stand-in: start snapshots every node
 * and sets the lesson up; reset restores every node to that snapshot, waits for the lab,
 * and sets the lesson up again.
 */
import { resourcePath } from '../../cli/lesson/api-kinds';
import { IngressStandIn } from '../cluster/ingress-standin';
import { KubeApiStandIn } from '../support/kube-api-standin';
import { StandInEnv, importRunningLabVms, standInEnv } from '../support/vboxmanage-standin-env';
import { LessonCli, scratchProject } from './lesson-harness';

const api = new KubeApiStandIn();
const ingress = new IngressStandIn();
let s: StandInEnv;
let lesson: LessonCli;
let ingressAddress = '';
let project = '';
const NODES = ['cp1', 'w1', 'w2'];

const vm = (n: string) => s.state().vms.find((v) => v.name === `kubelab-${n}`)!;
const webImage = () => api.objects.get(resourcePath('Deployment', 'lesson-rollout', 'web'))?.spec.template.spec.containers[0].image;

beforeAll(async () => {
  await api.start();
  ingressAddress = await ingress.start();
  s = standInEnv();
  project = scratchProject(api);
  importRunningLabVms(s, project, NODES);
  lesson = new LessonCli(() => ingressAddress, s.env);
});
afterAll(async () => {
  lesson.stop();
  s.cleanup();
  await ingress.stop();
  await api.stop();
});

test('start: a snapshot of every node, the namespace and the Deployment at the old image, then the goal and steps', async () => {
  const r = await lesson.run(project, 'start', 'rollout');
  expect(r.error).toBeUndefined();
  for (const n of NODES) expect(vm(n).snapshots.map((x) => x.name)).toEqual(['lesson-rollout']);
  expect(api.objects.get(resourcePath('Namespace', undefined, 'lesson-rollout'))?.status).toEqual({ phase: 'Active' });
  expect(webImage()).toBe('busybox:1.36.1');
  expect(r.lines).toContain('# Deployments: a rolling update, then a rollback');
  expect(r.lines).toContain('2. Update the image: npx kubelab kubectl set image deployment/web web=busybox:1.37.0 -n lesson-rollout');
  expect(r.lines[r.lines.length - 1]).toBe('Check your work at any time with: npx kubelab lesson check');
});

test('start again reuses the snapshot', async () => {
  const r = await lesson.run(project, 'start', 'rollout');
  expect(r.lines.filter((l) => /already has snapshot lesson-rollout; nothing to do/.test(l))).toHaveLength(3);
  for (const n of NODES) expect(vm(n).snapshots).toHaveLength(1);
});

test('reset: every node restored to the lesson snapshot and started, the lab waited for, the Deployment set back', async () => {
  // The learner's update, as `kubectl set image` would leave it.
  const web = api.objects.get(resourcePath('Deployment', 'lesson-rollout', 'web'));
  web.spec.template.spec.containers[0].image = 'busybox:1.37.0';
  const before = s.calls().length;
  const r = await lesson.run(project, 'reset');
  expect(r.error).toBeUndefined();
  const calls = s.calls().slice(before);
  for (const n of NODES) {
    expect(calls).toContain(`snapshot kubelab-${n} restore lesson-rollout`);
    expect(vm(n).state).toBe('running');
  }
  expect(r.lines).toContain('kubelab: all 3 nodes Ready');
  expect(webImage()).toBe('busybox:1.36.1');
  expect(r.lines[r.lines.length - 1]).toBe('kubelab: lesson rollout is back at its start; the steps again: npx kubelab lesson start rollout');
});

test('a lesson that starts with a failed node powers its VM off', async () => {
  const r = await lesson.run(project, 'start', 'node-down');
  expect(r.error).toBeUndefined();
  expect(r.lines).toContain('kubelab: powering off w2, as a failed node would be');
  expect(vm('w2').state).toBe('poweroff');
  for (const n of NODES) expect(vm(n).snapshots.map((x) => x.name)).toEqual(['lesson-rollout', 'lesson-node-down']);
});

test('reset of a lesson never started names the missing snapshot', async () => {
  const r = await lesson.run(project, 'reset', 'storage');
  expect(r.error).toMatch(/^VM kubelab-cp1 has no snapshot 'lesson-storage' \(it has: lesson-rollout, lesson-node-down\)/);
});

test('hints come one at a time and stop at the last; list marks the current lesson and says what a lab lacks', async () => {
  const hints = [];
  for (let i = 0; i < 4; i++) hints.push((await lesson.run(project, 'hint')).lines[0]);
  expect(hints.map((h) => h.slice(0, 9))).toEqual(['hint 1/3:', 'hint 2/3:', 'hint 3/3:', 'hint 3/3:']);
  const list = (await lesson.run(project, 'list')).lines;
  expect(list.find((l) => l.includes('node-down'))).toMatch(/^\* node-down/);
  expect(list.find((l) => l.includes('ha-server-down'))).toMatch(/\(it needs 3 servers \(an HA control plane\) and this lab has 1\./);
});

test('an unknown lesson and a bad --lang are one line each', async () => {
  expect((await lesson.run(project, 'start', 'nope')).error).toBe(
    "there is no lesson 'nope'; the lessons are: pods-on-nodes, rollout, service-ingress, hpa, node-down, network-policy, storage, break-fix, ha-server-down",
  );
  expect((await lesson.run(project, 'hint', '--lang', 'fr')).error).toBe("--lang 'fr' is not a language of the lessons; use en or ko");
});
