import { Lesson, lessonNamespace, text } from '../cli/lesson/lesson';
import { LESSON_BUSYBOX } from '../cli/lesson/lesson-images';
import { lastAgent, met, needsAgents, notMet } from './lesson-helpers';

const ns = lessonNamespace({ id: 'pods-on-nodes' });

/** Study note 002 (Pod) and 003 (the scheduler places pods on nodes): put a pod on the node you choose. */
export const podsOnNodes: Lesson = {
  id: 'pods-on-nodes',
  title: text('Nodes and pods: run a pod on the node you choose', '노드와 파드: 원하는 노드에 파드 띄우기'),
  topic: 'seeds 002 (Pod), 003 (Scheduler)',
  needs: needsAgents(1),
  files: () => ({
    'hello.yaml': [
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  name: hello',
      `  namespace: ${ns}`,
      'spec:',
      '  # Which node? Add a nodeSelector here (see the hints).',
      '  containers:',
      '    - name: hello',
      `      image: ${LESSON_BUSYBOX}`,
      '      command: ["sleep", "86400"]',
      '',
    ].join('\n'),
  }),
  goal: text(
    'The scheduler picks a node for every pod. Make it put the pod hello on the node you choose.',
    '스케줄러는 파드마다 실행할 노드를 고릅니다. 파드 hello가 여러분이 고른 노드에서 실행되게 해 보세요.',
  ),
  steps: (config) => {
    const node = lastAgent(config).name;
    return [
      text(`See the nodes and their labels: npx kubelab kubectl get nodes --show-labels`, `노드와 레이블을 확인합니다: npx kubelab kubectl get nodes --show-labels`),
      text(
        `Open lesson-files/pods-on-nodes/hello.yaml and add a nodeSelector so the pod runs on ${node} (every node has the label kubernetes.io/hostname).`,
        `lesson-files/pods-on-nodes/hello.yaml 을 열어 파드가 ${node}에서 실행되도록 nodeSelector를 추가합니다(모든 노드에 kubernetes.io/hostname 레이블이 있습니다).`,
      ),
      text(`Create it: npx kubelab kubectl apply -f lesson-files/pods-on-nodes/hello.yaml`, `파드를 만듭니다: npx kubelab kubectl apply -f lesson-files/pods-on-nodes/hello.yaml`),
      text(`See where it runs: npx kubelab kubectl get pods -n ${ns} -o wide`, `어느 노드에서 실행되는지 봅니다: npx kubelab kubectl get pods -n ${ns} -o wide`),
    ];
  },
  hints: [
    text('nodeSelector goes under spec:, beside containers:, and maps a label to a value.', 'nodeSelector는 spec: 아래, containers:와 같은 높이에 두고 레이블과 값을 적습니다.'),
    text('kubernetes.io/hostname: w2 (use your node name) selects exactly one node.', 'kubernetes.io/hostname: w2 (여러분의 노드 이름) 는 노드 하나만 고릅니다.'),
    text(
      'A pod cannot move: change the file, then npx kubelab kubectl delete -f lesson-files/pods-on-nodes/hello.yaml and apply it again.',
      '파드는 옮겨지지 않습니다: 파일을 고친 뒤 npx kubelab kubectl delete -f lesson-files/pods-on-nodes/hello.yaml 후 다시 apply 하세요.',
    ),
  ],
  checks: [
    {
      goal: text('the pod hello is scheduled on the chosen node', '파드 hello가 고른 노드에 배치됨'),
      run: async (lab) => {
        const want = lastAgent(lab.config).name;
        const pod = await lab.resources.get('Pod', ns, 'hello');
        if (!pod) return notMet(text(`there is no pod hello in ${ns}`, `${ns}에 파드 hello가 없습니다`));
        const on = pod.spec?.nodeName;
        if (!on) return notMet(text('it is not scheduled on any node yet (Pending)', '아직 어느 노드에도 배치되지 않았습니다(Pending)'));
        if (on !== want) return notMet(text(`it runs on ${on}, not ${want}`, `${want}가 아니라 ${on}에서 실행 중입니다`));
        if (pod.spec?.nodeSelector?.['kubernetes.io/hostname'] !== want && !pod.spec?.affinity) {
          return notMet(text(`it landed on ${want} by chance: nothing in its spec asks for ${want}`, `우연히 ${want}에 배치되었을 뿐, spec에 ${want}를 요구하는 내용이 없습니다`));
        }
        return met(text(`it runs on ${on}, as its spec asks`, `spec대로 ${on}에서 실행 중입니다`));
      },
    },
    {
      goal: text('the pod hello is Running', '파드 hello가 Running 상태'),
      run: async (lab) => {
        const phase = (await lab.resources.get('Pod', ns, 'hello'))?.status?.phase;
        return phase === 'Running' ? met(text('phase Running', 'phase Running')) : notMet(text(`phase ${phase ?? 'none (no pod)'}`, `phase ${phase ?? '없음(파드 없음)'}`));
      },
    },
  ],
};
