import { Lesson, lessonNamespace, text } from '../cli/lesson/lesson';
import { LESSON_BUSYBOX } from '../cli/lesson/lesson-images';
import { imageOf, met, notMet, rolledOut, webDeployment } from './lesson-helpers';

const ns = lessonNamespace({ id: 'rollout' });
/** The version the Deployment starts at; the update goes to LESSON_BUSYBOX. */
const OLD_IMAGE = 'busybox:1.36.1';
/** Deployments number their revisions in this annotation (kubernetes.io, "Deployments": Rolling Back a Deployment). */
const REVISION = 'deployment.kubernetes.io/revision';

/** Study note 002 (Deployment: rolling update, rollback). */
export const rollout: Lesson = {
  id: 'rollout',
  title: text('Deployments: a rolling update, then a rollback', '디플로이먼트: 롤링 업데이트와 롤백'),
  topic: 'seeds 002 (Deployment)',
  setup: () => [webDeployment('web', 3, { image: OLD_IMAGE })],
  goal: text(
    `The Deployment web runs ${OLD_IMAGE}. Update it to ${LESSON_BUSYBOX} without downtime, then roll it back to the version before.`,
    `디플로이먼트 web은 ${OLD_IMAGE}를 실행합니다. 중단 없이 ${LESSON_BUSYBOX}로 업데이트한 다음, 이전 버전으로 롤백해 보세요.`,
  ),
  steps: () => [
    text(`Look at it: npx kubelab kubectl get deployment web -n ${ns} -o wide`, `현재 상태를 봅니다: npx kubelab kubectl get deployment web -n ${ns} -o wide`),
    text(`Update the image: npx kubelab kubectl set image deployment/web web=${LESSON_BUSYBOX} -n ${ns}`, `이미지를 바꿉니다: npx kubelab kubectl set image deployment/web web=${LESSON_BUSYBOX} -n ${ns}`),
    text(`Watch the pods being replaced a few at a time: npx kubelab kubectl rollout status deployment/web -n ${ns}`, `파드가 몇 개씩 교체되는 모습을 봅니다: npx kubelab kubectl rollout status deployment/web -n ${ns}`),
    text(`See the revisions: npx kubelab kubectl rollout history deployment/web -n ${ns}`, `리비전 기록을 봅니다: npx kubelab kubectl rollout history deployment/web -n ${ns}`),
    text(`Roll back: npx kubelab kubectl rollout undo deployment/web -n ${ns}`, `롤백합니다: npx kubelab kubectl rollout undo deployment/web -n ${ns}`),
  ],
  hints: [
    text('The container in the Deployment is named web: set image takes <container>=<image>.', '디플로이먼트의 컨테이너 이름은 web입니다: set image 에는 <컨테이너>=<이미지> 를 줍니다.'),
    text('Each template change makes a new ReplicaSet: npx kubelab kubectl get replicasets -n lesson-rollout', '템플릿이 바뀔 때마다 새 ReplicaSet이 생깁니다: npx kubelab kubectl get replicasets -n lesson-rollout'),
    text('rollout undo goes back one revision; --to-revision=N picks one.', 'rollout undo 는 한 리비전 전으로 돌아가고, --to-revision=N 으로 특정 리비전을 고를 수 있습니다.'),
  ],
  checks: [
    {
      goal: text(`web was updated to ${LESSON_BUSYBOX}`, `web이 ${LESSON_BUSYBOX}로 업데이트됨`),
      run: async (lab) => {
        const sets = await lab.resources.list('ReplicaSet', ns, 'app=web');
        const images = sets.map((rs) => imageOf(rs));
        return images.includes(LESSON_BUSYBOX)
          ? met(text(`a ReplicaSet of web runs ${LESSON_BUSYBOX}`, `web의 ReplicaSet 중 하나가 ${LESSON_BUSYBOX}를 실행합니다`))
          : notMet(text(`web's ReplicaSets run only ${[...new Set(images)].join(', ') || 'nothing'}`, `web의 ReplicaSet은 ${[...new Set(images)].join(', ') || '없음'}만 실행합니다`));
      },
    },
    {
      goal: text(`web was rolled back to ${OLD_IMAGE}`, `web이 ${OLD_IMAGE}로 롤백됨`),
      run: async (lab) => {
        const web = await lab.resources.get('Deployment', ns, 'web');
        const image = imageOf(web);
        const revision = Number(web?.metadata.annotations?.[REVISION] ?? 0);
        if (image !== OLD_IMAGE) return notMet(text(`web runs ${image ?? 'nothing'} now`, `web은 지금 ${image ?? '아무것도'} 실행 중입니다`));
        // Revision 1 is the start, 2 the update; a rollback re-uses revision 1's template as revision 3.
        if (revision < 3) return notMet(text(`web runs ${OLD_IMAGE} at revision ${revision}: not rolled back yet`, `web은 리비전 ${revision}에서 ${OLD_IMAGE}를 실행 중: 아직 롤백 전입니다`));
        return met(text(`web runs ${OLD_IMAGE} again, at revision ${revision}`, `web이 리비전 ${revision}에서 다시 ${OLD_IMAGE}를 실행합니다`));
      },
    },
    {
      goal: text('the rollout is complete', '롤아웃 완료'),
      run: async (lab) => {
        const state = rolledOut(await lab.resources.get('Deployment', ns, 'web'));
        return state.done ? met(text(state.summary, state.summary)) : notMet(text(`not yet: ${state.summary}`, `아직 아님: ${state.summary}`));
      },
    },
  ],
};
