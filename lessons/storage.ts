import { Lesson, lessonNamespace, text } from '../cli/lesson/lesson';
import { LESSON_BUSYBOX } from '../cli/lesson/lesson-images';
import { met, notMet } from './lesson-helpers';

const ns = lessonNamespace({ id: 'storage' });
/** Every start of the app pod appends a line here, on the volume. */
const STARTS_LOG = '/data/starts.log';

/** Storage: a PersistentVolumeClaim on K3s's local-path provisioner (its default StorageClass). */
export const storage: Lesson = {
  id: 'storage',
  title: text('Storage: data that outlives its pod', '스토리지: 파드보다 오래 남는 데이터'),
  topic: 'Kubernetes PersistentVolumes (beyond the notes)',
  files: () => ({
    'claim.yaml': [
      'apiVersion: v1',
      'kind: PersistentVolumeClaim',
      'metadata:',
      '  name: data',
      `  namespace: ${ns}`,
      'spec:',
      '  accessModes: [ReadWriteOnce]',
      '  storageClassName: local-path',
      '  resources:',
      '    requests:',
      '      storage: 64Mi',
      '',
    ].join('\n'),
    'app.yaml': [
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  name: app',
      `  namespace: ${ns}`,
      'spec:',
      '  containers:',
      '    - name: app',
      `      image: ${LESSON_BUSYBOX}`,
      `      command: ["sh", "-c", "date >> ${STARTS_LOG}; sleep 86400"]`,
      '      # mount the claim data at /data: see the hints',
      '',
    ].join('\n'),
  }),
  goal: text(
    `Give the pod app a volume from a PersistentVolumeClaim, delete the pod and create it again: the log of its starts (${STARTS_LOG}) must keep both.`,
    `파드 app에 PersistentVolumeClaim 볼륨을 붙이고, 파드를 지웠다가 다시 만드세요. 시작 기록(${STARTS_LOG})에 두 번 모두 남아 있어야 합니다.`,
  ),
  steps: () => [
    text('Claim storage: npx kubelab kubectl apply -f lesson-files/storage/claim.yaml', '스토리지를 요청합니다: npx kubelab kubectl apply -f lesson-files/storage/claim.yaml'),
    text(`See it wait for a consumer: npx kubelab kubectl get pvc -n ${ns}`, `사용할 파드를 기다리는 모습을 봅니다: npx kubelab kubectl get pvc -n ${ns}`),
    text('Mount it in lesson-files/storage/app.yaml, then: npx kubelab kubectl apply -f lesson-files/storage/app.yaml', 'lesson-files/storage/app.yaml 에 마운트를 추가한 뒤: npx kubelab kubectl apply -f lesson-files/storage/app.yaml'),
    text(`Restart it: npx kubelab kubectl delete pod app -n ${ns}, then apply app.yaml again`, `다시 시작합니다: npx kubelab kubectl delete pod app -n ${ns} 후 app.yaml을 다시 apply`),
    text(`See which node holds the data: npx kubelab kubectl get pv -o wide`, `데이터가 어느 노드에 있는지 봅니다: npx kubelab kubectl get pv -o wide`),
  ],
  hints: [
    text('local-path binds a claim only when a pod uses it (volumeBindingMode: WaitForFirstConsumer).', 'local-path는 파드가 사용할 때 비로소 클레임을 바인딩합니다(volumeBindingMode: WaitForFirstConsumer).'),
    text(
      'Two parts: volumes: - name: data, persistentVolumeClaim: {claimName: data} under spec:, and volumeMounts: - name: data, mountPath: /data in the container.',
      '두 부분이 필요합니다: spec: 아래 volumes: - name: data, persistentVolumeClaim: {claimName: data} 와 컨테이너의 volumeMounts: - name: data, mountPath: /data.',
    ),
    text('The volume is a folder on one node: the PV\'s node affinity pins every pod that uses it to that node.', '볼륨은 한 노드의 폴더입니다: PV의 node affinity 때문에 이를 쓰는 파드는 모두 그 노드에 배치됩니다.'),
  ],
  checks: [
    {
      goal: text('the claim data is Bound to a volume on one node', '클레임 data가 한 노드의 볼륨에 Bound됨'),
      run: async (lab) => {
        const claim = await lab.resources.get('PersistentVolumeClaim', ns, 'data');
        if (!claim) return notMet(text(`there is no PersistentVolumeClaim data in ${ns}`, `${ns}에 PersistentVolumeClaim data가 없습니다`));
        if (claim.status?.phase !== 'Bound') return notMet(text(`it is ${claim.status?.phase ?? 'Pending'}: no pod uses it yet`, `상태가 ${claim.status?.phase ?? 'Pending'}입니다: 아직 사용하는 파드가 없습니다`));
        const volume = await lab.resources.get('PersistentVolume', undefined, claim.spec?.volumeName ?? '');
        const node = volume?.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values?.[0];
        return met(text(`Bound to ${claim.spec?.volumeName}${node ? `, a folder on ${node}` : ''}`, `${claim.spec?.volumeName}에 Bound${node ? `, ${node}의 폴더` : ''}`));
      },
    },
    {
      goal: text('the data survived a restart of the pod', '파드를 다시 시작해도 데이터가 남음'),
      run: async (lab) => {
        const claim = await lab.resources.get('PersistentVolumeClaim', ns, 'data');
        if (claim?.status?.phase !== 'Bound') return notMet(text('the claim is not Bound yet', '클레임이 아직 Bound가 아닙니다'));
        // A second pod on the same claim reads the log: two lines mean two starts on the same data.
        const outcome = await lab.probePod('probe-starts', {}, `test "$(wc -l < ${STARTS_LOG})" -ge 2`, { claim: 'data', mountPath: '/data' });
        return outcome === 'Succeeded'
          ? met(text(`${STARTS_LOG} holds two or more starts`, `${STARTS_LOG}에 시작 기록이 두 번 이상 있습니다`))
          : notMet(text(`${STARTS_LOG} holds fewer than two starts (${outcome}): delete the pod app and apply it again`, `${STARTS_LOG}의 시작 기록이 두 번 미만입니다(${outcome}): 파드 app을 지우고 다시 apply 하세요`));
      },
    },
  ],
};
