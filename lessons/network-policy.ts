import { Lesson, lessonNamespace, text } from '../cli/lesson/lesson';
import { LabResources } from '../cli/lesson/lab-resources';
import { met, notMet, readyEndpoints, webDeployment, webService } from './lesson-helpers';

const ns = lessonNamespace({ id: 'network-policy' });
/** busybox wget: exit 0 only on an answer; -T bounds the wait when a policy drops the packets. */
const REACH_WEB = 'wget -q -T 5 -O /dev/null http://web';

async function policies(resources: LabResources): Promise<string> {
  const names = (await resources.list('NetworkPolicy', ns)).map((p) => p.metadata.name);
  return names.length ? names.join(', ') : 'none';
}

/**
 * NetworkPolicy: default-deny, then allow one path. K3s enforces policies with its
 * embedded network policy controller next to flannel (K3s docs, "Networking Services";
 * unverified at the pinned tag here).
 */
export const networkPolicy: Lesson = {
  id: 'network-policy',
  title: text('NetworkPolicy: deny everything, then allow one path', '네트워크 폴리시: 모두 막은 뒤 한 경로만 열기'),
  topic: 'Kubernetes NetworkPolicy (beyond the notes)',
  setup: () => [webDeployment('web', 1), webService('web')],
  files: () => ({
    'deny-all.yaml': [
      'apiVersion: networking.k8s.io/v1',
      'kind: NetworkPolicy',
      'metadata:',
      '  name: deny-all',
      `  namespace: ${ns}`,
      'spec:',
      '  # which pods? which directions? see the hints',
      '',
    ].join('\n'),
    'allow-client.yaml': [
      'apiVersion: networking.k8s.io/v1',
      'kind: NetworkPolicy',
      'metadata:',
      '  name: allow-client',
      `  namespace: ${ns}`,
      'spec:',
      '  podSelector:',
      '    matchLabels:',
      '      app: web',
      '  # ingress: from pods labelled role: client, to port 8080',
      '',
    ].join('\n'),
  }),
  goal: text(
    'Every pod in the namespace can reach web today. Block all incoming traffic by default, then let only pods labelled role=client reach web.',
    '지금은 네임스페이스의 모든 파드가 web에 접근할 수 있습니다. 기본으로 모든 인그레스 트래픽을 막고, role=client 레이블이 있는 파드만 web에 접근하게 하세요.',
  ),
  steps: () => [
    text(`See what runs: npx kubelab kubectl get pods,services,networkpolicies -n ${ns} -o wide`, `무엇이 실행 중인지 봅니다: npx kubelab kubectl get pods,services,networkpolicies -n ${ns} -o wide`),
    text('Find out who can reach web now (it starts test pods with and without role=client): npx kubelab lesson check', '지금 누가 web에 접근할 수 있는지 확인합니다(role=client가 있는/없는 테스트 파드를 띄움): npx kubelab lesson check'),
    text('Fill in lesson-files/network-policy/deny-all.yaml and apply it: npx kubelab kubectl apply -f lesson-files/network-policy/deny-all.yaml', 'lesson-files/network-policy/deny-all.yaml 을 채우고 적용합니다: npx kubelab kubectl apply -f lesson-files/network-policy/deny-all.yaml'),
    text('Fill in lesson-files/network-policy/allow-client.yaml and apply it: npx kubelab kubectl apply -f lesson-files/network-policy/allow-client.yaml', 'lesson-files/network-policy/allow-client.yaml 을 채우고 적용합니다: npx kubelab kubectl apply -f lesson-files/network-policy/allow-client.yaml'),
    text('Check (it starts test pods with and without role=client): npx kubelab lesson check', '확인합니다(role=client가 있는/없는 테스트 파드를 띄웁니다): npx kubelab lesson check'),
  ],
  hints: [
    text('podSelector: {} selects every pod in the namespace.', 'podSelector: {} 는 네임스페이스의 모든 파드를 고릅니다.'),
    text('policyTypes: [Ingress] with no ingress: rules denies all incoming traffic to the selected pods.', 'policyTypes: [Ingress] 에 ingress: 규칙이 없으면 선택된 파드로 들어오는 트래픽이 모두 막힙니다.'),
    text(
      'Policies add up: allow-client needs ingress: - from: - podSelector: {matchLabels: {role: client}} with ports: - port: 8080 (the pod port, not the Service port).',
      '폴리시는 합쳐집니다: allow-client에는 ingress: - from: - podSelector: {matchLabels: {role: client}} 와 ports: - port: 8080 (서비스 포트가 아니라 파드 포트)이 필요합니다.',
    ),
  ],
  checks: [
    {
      goal: text('a pod without role=client cannot reach web', 'role=client가 없는 파드는 web에 접근할 수 없음'),
      run: async (lab) => {
        if ((await readyEndpoints(lab.resources, ns, 'web')) === 0) return notMet(text('web has no ready pod, so this proves nothing yet', 'web에 준비된 파드가 없어 아직 확인할 수 없습니다'));
        const outcome = await lab.probePod('probe-other', { role: 'other' }, REACH_WEB);
        return outcome === 'Failed'
          ? met(text(`the test pod got no answer (policies: ${await policies(lab.resources)})`, `테스트 파드가 응답을 받지 못했습니다(폴리시: ${await policies(lab.resources)})`))
          : notMet(text(`the test pod reached web (${outcome}); policies: ${await policies(lab.resources)}`, `테스트 파드가 web에 접근했습니다(${outcome}); 폴리시: ${await policies(lab.resources)}`));
      },
    },
    {
      goal: text('a pod with role=client reaches web', 'role=client 파드는 web에 접근함'),
      run: async (lab) => {
        const outcome = await lab.probePod('probe-client', { role: 'client' }, REACH_WEB);
        return outcome === 'Succeeded'
          ? met(text('the role=client test pod got the page', 'role=client 테스트 파드가 페이지를 받았습니다'))
          : notMet(text(`the role=client test pod got no answer (${outcome}); policies: ${await policies(lab.resources)}`, `role=client 테스트 파드가 응답을 받지 못했습니다(${outcome}); 폴리시: ${await policies(lab.resources)}`));
      },
    },
  ],
};
