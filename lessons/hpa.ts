import { LAB_APPS } from '../config/urls';
import { Lesson, text } from '../cli/lesson/lesson';
import { LOAD_GENERATOR } from '../cli/cluster/load-generator';
import { met, notMet } from './lesson-helpers';

const { namespace, name } = LAB_APPS.hpaDemo;

/** The HPA walkthrough (kubernetes.io, "HorizontalPodAutoscaler Walkthrough") on the lab's demo. */
export const hpa: Lesson = {
  id: 'hpa',
  title: text('The HPA under load: replicas rise and fall', '부하를 받는 HPA: 레플리카가 늘었다 줄어드는 모습'),
  topic: 'HPA walkthrough (kubernetes.io)',
  needs: (config) =>
    config.components.hpaDemo.enabled && config.components.metricsServer.enabled
      ? undefined
      : text('it needs the HPA demo and metrics-server (components.hpaDemo, components.metricsServer enabled), then: npm run up', 'HPA 데모와 metrics-server가 필요합니다(components.hpaDemo, components.metricsServer 활성화). 그다음 npm run up'),
  goal: text(
    `Put ${name} under load, watch the HorizontalPodAutoscaler add replicas, then stop the load and watch it scale back to 1.`,
    `${name}에 부하를 걸어 HorizontalPodAutoscaler가 레플리카를 늘리는 것을 보고, 부하를 멈춘 뒤 다시 1개로 줄어드는 것을 확인하세요.`,
  ),
  steps: () => [
    text(`See the HPA: npx kubelab kubectl get hpa -n ${namespace}`, `HPA를 봅니다: npx kubelab kubectl get hpa -n ${namespace}`),
    text('Start the load: npx kubelab load start', '부하를 시작합니다: npx kubelab load start'),
    text('Watch replicas and CPU (Ctrl-C ends it): npx kubelab load watch', '레플리카와 CPU를 지켜봅니다(Ctrl-C로 종료): npx kubelab load watch'),
    text('When replicas are above 1, record it: npx kubelab lesson check', '레플리카가 1보다 커지면 기록합니다: npx kubelab lesson check'),
    text('Stop the load: npx kubelab load stop, wait about five minutes, then: npx kubelab lesson check', '부하를 멈춥니다: npx kubelab load stop, 5분쯤 기다린 뒤: npx kubelab lesson check'),
  ],
  hints: [
    text('CPU is measured against the pods\' requests (200m): 50% means 100m per pod on average.', 'CPU 사용률은 파드 요청량(200m) 대비로 계산합니다: 50%는 파드당 평균 100m입니다.'),
    text('Scaling up takes a minute or two; metrics-server reports every 15 s.', '스케일 업에는 1~2분이 걸립니다. metrics-server는 15초마다 값을 보고합니다.'),
    text('Scaling down waits for the 5-minute stabilization window on purpose, to avoid flapping.', '스케일 다운은 요동을 막기 위해 일부러 5분 안정화 구간을 기다립니다.'),
  ],
  checks: [
    {
      goal: text(`${name} scaled above 1 replica under load`, `부하를 받아 ${name}가 레플리카 1개보다 늘어남`),
      run: async (lab) => {
        const hpaObject = await lab.resources.get('HorizontalPodAutoscaler', namespace, name);
        const replicas = hpaObject?.status?.currentReplicas ?? 0;
        const loaded = (await lab.resources.get('Pod', namespace, LOAD_GENERATOR.metadata.name)) !== undefined;
        if (loaded && replicas > 1) lab.remember('scaledUpTo', String(replicas));
        const seen = lab.memory.scaledUpTo;
        if (seen) return met(text(`seen at ${seen} replicas under load`, `부하 중 레플리카 ${seen}개를 확인했습니다`));
        return notMet(
          loaded
            ? text(`the load runs; the HPA has ${replicas} replica(s) so far`, `부하가 실행 중이며 HPA 레플리카는 아직 ${replicas}개입니다`)
            : text('no load is running (npx kubelab load start)', '부하가 실행되고 있지 않습니다(npx kubelab load start)'),
        );
      },
    },
    {
      goal: text('after the load stopped, it scaled back to 1', '부하를 멈춘 뒤 다시 1개로 줄어듦'),
      run: async (lab) => {
        const replicas = (await lab.resources.get('HorizontalPodAutoscaler', namespace, name))?.status?.currentReplicas ?? 0;
        const loaded = (await lab.resources.get('Pod', namespace, LOAD_GENERATOR.metadata.name)) !== undefined;
        if (!lab.memory.scaledUpTo) return notMet(text('first see it scale up under load', '먼저 부하로 늘어나는 것을 확인하세요'));
        if (loaded) return notMet(text('the load still runs (npx kubelab load stop)', '부하가 아직 실행 중입니다(npx kubelab load stop)'));
        return replicas === 1
          ? met(text('back at 1 replica', '레플리카 1개로 돌아왔습니다'))
          : notMet(text(`still ${replicas} replicas: the HPA waits out its 5-minute window`, `아직 레플리카 ${replicas}개: HPA가 5분 안정화 구간을 기다리는 중입니다`));
      },
    },
  ],
};
