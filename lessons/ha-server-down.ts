import { LabConfig, serverNodes } from '../config/lab-config';
import { ETCD_ROLE_LABEL } from '../cli/k3s/etcd-member';
import { Lesson, text } from '../cli/lesson/lesson';
import { met, needsFailingVm, needsServers, nodeReady, notMet } from './lesson-helpers';

/** The server that fails: the second one (the first started the cluster). */
const failedServer = (config: LabConfig) => serverNodes(config)[1];

/** Study note 003 (etcd, the control plane): an HA control plane keeps the API with one server lost. */
export const haServerDown: Lesson = {
  id: 'ha-server-down',
  title: text('HA: lose one server and keep the API', 'HA: 서버 하나를 잃어도 API는 살아 있다'),
  topic: 'seeds 003 (Control Plane, etcd)',
  needs: needsFailingVm(needsServers(3), failedServer),
  failedNode: failedServer,
  goal: text(
    'One of three servers was just powered off. Confirm the API and etcd still work with two of three members (quorum), then bring the server back.',
    '서버 세 대 중 한 대의 전원이 방금 꺼졌습니다. 세 멤버 중 두 멤버(쿼럼)로 API와 etcd가 계속 동작하는지 확인하고, 서버를 복구하세요.',
  ),
  steps: (config) => [
    text('See the servers: npx kubelab kubectl get nodes', '서버를 봅니다: npx kubelab kubectl get nodes'),
    text('Ask the API server about etcd: npx kubelab kubectl get --raw /readyz/etcd', 'API 서버에 etcd 상태를 묻습니다: npx kubelab kubectl get --raw /readyz/etcd'),
    text('Record what you saw: npx kubelab lesson check', '본 것을 기록합니다: npx kubelab lesson check'),
    text(`Bring it back: npx kubelab vm start ${failedServer(config).name}`, `복구합니다: npx kubelab vm start ${failedServer(config).name}`),
  ],
  hints: [
    text('etcd needs a majority of its members: 2 of 3. With two servers down it stops taking writes.', 'etcd는 멤버 과반이 필요합니다: 3대 중 2대. 두 대가 꺼지면 쓰기를 받지 않습니다.'),
    text('The lab kubeconfig talks to the first server, which still runs.', '랩 kubeconfig는 아직 살아 있는 첫 번째 서버에 연결합니다.'),
    text('A server that comes back rejoins etcd by itself; wait until it is Ready.', '복구된 서버는 스스로 etcd에 다시 합류합니다. Ready가 될 때까지 기다리세요.'),
  ],
  checks: [
    {
      goal: text('the API and etcd answered while a server was down', '서버 하나가 꺼진 동안 API와 etcd가 응답함'),
      run: async (lab) => {
        const name = failedServer(lab.config).name;
        const down = !nodeReady(await lab.resources.get('Node', undefined, name));
        const etcd = await lab.resources.etcdReadiness();
        if (down && etcd.status === 200) lab.remember('quorumSeen', 'yes');
        if (lab.memory.quorumSeen) return met(text(`with ${name} down, /readyz/etcd answered ok`, `${name}이(가) 꺼진 상태에서 /readyz/etcd가 ok로 응답했습니다`));
        return notMet(
          down
            ? text(`${name} is down but /readyz/etcd answers ${etcd.status}`, `${name}이(가) 꺼졌지만 /readyz/etcd가 ${etcd.status}로 응답합니다`)
            : text(`${name} is still Ready: it takes about 40 s to be seen down`, `${name}이(가) 아직 Ready입니다: 꺼진 것으로 보이기까지 약 40초 걸립니다`),
        );
      },
    },
    {
      goal: text('the server is back and an etcd member again', '서버가 복구되어 다시 etcd 멤버가 됨'),
      run: async (lab) => {
        const name = failedServer(lab.config).name;
        const node = await lab.resources.get('Node', undefined, name);
        if (!lab.memory.quorumSeen) return notMet(text('first see the API answer while it is down', '먼저 서버가 꺼진 동안 API 응답을 확인하세요'));
        if (!nodeReady(node)) return notMet(text(`${name} is not Ready (npx kubelab vm start ${name})`, `${name}이(가) Ready가 아닙니다(npx kubelab vm start ${name})`));
        return node?.metadata.labels?.[ETCD_ROLE_LABEL] === 'true'
          ? met(text(`${name} is Ready with its etcd role`, `${name}이(가) etcd 역할로 Ready입니다`))
          : notMet(text(`${name} is Ready but has no ${ETCD_ROLE_LABEL}=true label`, `${name}이(가) Ready지만 ${ETCD_ROLE_LABEL}=true 레이블이 없습니다`));
      },
    },
  ],
};
