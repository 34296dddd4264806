import { Lesson, lessonNamespace, text } from '../cli/lesson/lesson';
import { LESSON_BUSYBOX } from '../cli/lesson/lesson-images';
import { met, notMet, readyEndpoints, rolledOut, webDeployment, webService } from './lesson-helpers';

const ns = lessonNamespace({ id: 'break-fix' });

/** Break-and-fix: a Deployment and Service with two faults a learner meets in real life. */
export const breakFix: Lesson = {
  id: 'break-fix',
  title: text('Break and fix: a shop that does not open', '고장 내고 고치기: 열리지 않는 가게'),
  topic: 'troubleshooting (kubectl describe, events, endpoints)',
  setup: () => [
    // A tag that does not exist: the pods stay in ErrImagePull / ImagePullBackOff.
    webDeployment('shop', 2, { image: `${LESSON_BUSYBOX}-typo` }),
    // A selector with a typo: the Service finds no pods.
    webService('shop', { app: 'shopp' }),
  ],
  goal: text(
    'The Deployment shop and its Service were set up with mistakes. Find them from what the cluster tells you and fix them until the Service sends traffic to running pods.',
    '디플로이먼트 shop과 서비스가 잘못 설정되어 있습니다. 클러스터가 알려 주는 정보로 원인을 찾아, 서비스가 실행 중인 파드로 트래픽을 보낼 때까지 고치세요.',
  ),
  steps: () => [
    text(`Look: npx kubelab kubectl get deployment,pods,service,endpointslices -n ${ns}`, `살펴봅니다: npx kubelab kubectl get deployment,pods,service,endpointslices -n ${ns}`),
    text(`Ask why: npx kubelab kubectl describe pods -n ${ns}`, `이유를 찾습니다: npx kubelab kubectl describe pods -n ${ns}`),
    text(`Read the events: npx kubelab kubectl get events -n ${ns} --sort-by=.lastTimestamp`, `이벤트를 읽습니다: npx kubelab kubectl get events -n ${ns} --sort-by=.lastTimestamp`),
    text(`Fix with: npx kubelab kubectl edit deployment shop -n ${ns} (and the Service likewise)`, `고칩니다: npx kubelab kubectl edit deployment shop -n ${ns} (서비스도 같은 방법으로)`),
  ],
  hints: [
    text('ImagePullBackOff: the image or its tag does not exist, or cannot be pulled.', 'ImagePullBackOff: 이미지나 태그가 없거나 내려받을 수 없다는 뜻입니다.'),
    text(`The image should be ${LESSON_BUSYBOX}: npx kubelab kubectl set image deployment/shop web=${LESSON_BUSYBOX} -n ${ns}`, `이미지는 ${LESSON_BUSYBOX} 여야 합니다: npx kubelab kubectl set image deployment/shop web=${LESSON_BUSYBOX} -n ${ns}`),
    text('A Service with no endpoints: compare its selector with the pods\' labels (--show-labels).', '엔드포인트가 없는 서비스: selector와 파드 레이블(--show-labels)을 비교하세요.'),
  ],
  checks: [
    {
      goal: text('every pod of shop runs', 'shop의 파드가 모두 실행됨'),
      run: async (lab) => {
        const shop = await lab.resources.get('Deployment', ns, 'shop');
        const state = rolledOut(shop);
        if (state.done) return met(text(state.summary, state.summary));
        const reasons = (await lab.resources.list('Pod', ns, 'app=shop'))
          .flatMap((p) => p.status?.containerStatuses ?? [])
          .map((c: any) => c.state?.waiting?.reason)
          .filter(Boolean);
        const why = [...new Set(reasons)].join(', ');
        return notMet(text(`${state.summary}${why ? `; pods waiting: ${why}` : ''}`, `${state.summary}${why ? `; 대기 중인 이유: ${why}` : ''}`));
      },
    },
    {
      goal: text('the Service shop sends traffic to its pods', '서비스 shop이 파드로 트래픽을 보냄'),
      run: async (lab) => {
        const endpoints = await readyEndpoints(lab.resources, ns, 'shop');
        if (endpoints > 0) return met(text(`${endpoints} ready endpoints`, `준비된 엔드포인트 ${endpoints}개`));
        const selector = JSON.stringify((await lab.resources.get('Service', ns, 'shop'))?.spec?.selector ?? {});
        return notMet(text(`no ready endpoints; its selector is ${selector}`, `준비된 엔드포인트가 없습니다; selector는 ${selector}`));
      },
    },
  ],
};
