import { Lesson, lessonNamespace, text } from '../cli/lesson/lesson';
import { lastAgent, met, needsAgents, needsFailingVm, nodeReady, notMet, webDeployment } from './lesson-helpers';

const ns = lessonNamespace({ id: 'node-down' });
const REPLICAS = 4;

/** Study note 003 (controllers keep the desired state): a node fails; drain, recover, uncordon. */
export const nodeDown: Lesson = {
  id: 'node-down',
  title: text('A node fails: where its pods go, drain and uncordon', '노드 장애: 파드는 어디로 가나, drain과 uncordon'),
  topic: 'seeds 003 (controllers, kubelet)',
  needs: needsFailingVm(needsAgents(2), lastAgent),
  setup: () => [webDeployment('spread', REPLICAS)],
  failedNode: lastAgent,
  goal: text(
    `An agent's VM was just powered off (named above). Get all ${REPLICAS} replicas of spread running on the other nodes, take the node out of scheduling while it is down, then bring it back.`,
    `방금 에이전트 VM 하나의 전원이 꺼졌습니다(위에 이름이 나옵니다). spread의 레플리카 ${REPLICAS}개를 모두 다른 노드에서 실행되게 하고, 장애 중인 노드를 스케줄링에서 뺀 뒤 다시 복구하세요.`,
  ),
  steps: (config) => {
    const node = lastAgent(config).name;
    return [
      text(`Watch the node go NotReady (about 40 s): npx kubelab kubectl get nodes`, `노드가 NotReady가 되는 것을 봅니다(약 40초): npx kubelab kubectl get nodes`),
      text(`See where the pods are: npx kubelab kubectl get pods -n ${ns} -o wide`, `파드 위치를 봅니다: npx kubelab kubectl get pods -n ${ns} -o wide`),
      text(
        `Move them now instead of waiting 5 minutes: npx kubelab kubectl drain ${node} --ignore-daemonsets --delete-emptydir-data --force --timeout=60s`,
        `5분을 기다리지 말고 지금 옮깁니다: npx kubelab kubectl drain ${node} --ignore-daemonsets --delete-emptydir-data --force --timeout=60s`,
      ),
      text('Check: npx kubelab lesson check', '확인합니다: npx kubelab lesson check'),
      text(`Repair the node: npx kubelab vm start ${node}`, `노드를 복구합니다: npx kubelab vm start ${node}`),
      text(`Let it take pods again: npx kubelab kubectl uncordon ${node}`, `다시 파드를 받도록 합니다: npx kubelab kubectl uncordon ${node}`),
    ];
  },
  hints: [
    text(
      'Pods on an unreachable node are evicted only after 300 s (the default toleration of the node.kubernetes.io/unreachable taint).',
      '연결이 끊긴 노드의 파드는 300초 뒤에야 축출됩니다(node.kubernetes.io/unreachable taint의 기본 toleration).',
    ),
    text('drain cordons the node first (SchedulingDisabled), then evicts its pods.', 'drain은 먼저 노드를 cordon(SchedulingDisabled)한 뒤 파드를 축출합니다.'),
    text('A drained node stays cordoned after it comes back until you uncordon it.', 'drain한 노드는 복구된 뒤에도 uncordon하기 전까지 cordon 상태로 남습니다.'),
  ],
  checks: [
    {
      goal: text(`all ${REPLICAS} replicas of spread run on the other nodes`, `spread의 레플리카 ${REPLICAS}개가 모두 다른 노드에서 실행됨`),
      run: async (lab) => {
        const failed = lastAgent(lab.config).name;
        const pods = await lab.resources.list('Pod', ns, 'app=spread');
        const healthy = pods.filter(
          (p) => !p.metadata.deletionTimestamp && p.spec?.nodeName !== failed && p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'),
        );
        const stuck = pods.filter((p) => p.spec?.nodeName === failed && !p.metadata.deletionTimestamp).length;
        return healthy.length >= REPLICAS
          ? met(text(`${healthy.length} ready replicas away from ${failed}`, `${failed} 밖에서 준비된 레플리카 ${healthy.length}개`))
          : notMet(text(`${healthy.length} of ${REPLICAS} ready away from ${failed}; ${stuck} still bound to ${failed}`, `${failed} 밖에서 준비된 것은 ${REPLICAS}개 중 ${healthy.length}개, ${failed}에 묶인 파드 ${stuck}개`));
      },
    },
    {
      goal: text('the failed node was taken out of scheduling (cordoned)', '장애 노드를 스케줄링에서 뺌(cordon)'),
      run: async (lab) => {
        const failed = lastAgent(lab.config).name;
        const node = await lab.resources.get('Node', undefined, failed);
        if (node?.spec?.unschedulable === true) lab.remember('cordoned', 'yes');
        return lab.memory.cordoned
          ? met(text(`${failed} was cordoned`, `${failed}을(를) cordon했습니다`))
          : notMet(text(`${failed} still accepts pods (spec.unschedulable is not set)`, `${failed}이(가) 아직 파드를 받습니다(spec.unschedulable 미설정)`));
      },
    },
    {
      goal: text('the node is back, Ready and uncordoned', '노드가 복구되어 Ready이고 uncordon됨'),
      run: async (lab) => {
        const failed = lastAgent(lab.config).name;
        const node = await lab.resources.get('Node', undefined, failed);
        if (!lab.memory.cordoned) return notMet(text('first cordon it while it is down', '먼저 장애 중에 cordon하세요'));
        if (!nodeReady(node)) return notMet(text(`${failed} is not Ready (npx kubelab vm start ${failed})`, `${failed}이(가) Ready가 아닙니다(npx kubelab vm start ${failed})`));
        if (node?.spec?.unschedulable) return notMet(text(`${failed} is Ready but still cordoned`, `${failed}이(가) Ready지만 아직 cordon 상태입니다`));
        return met(text(`${failed} is Ready and takes pods`, `${failed}이(가) Ready이고 파드를 받습니다`));
      },
    },
  ],
};
