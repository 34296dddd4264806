/** Reads that several lessons' checks share. Each returns plain facts; the lessons say what they mean. */
import { LabConfig, LabNode, agentNodes, serverNodes } from '../config/lab-config';
import { KubeObject, LabResources } from '../cli/lesson/lab-resources';
import { LESSON_BUSYBOX } from '../cli/lesson/lesson-images';
import { CheckResult, Text, text } from '../cli/lesson/lesson';

export const met = (saw: Text): CheckResult => ({ met: true, saw });
export const notMet = (saw: Text): CheckResult => ({ met: false, saw });

/** The node a lesson asks to schedule onto or to fail: the lab's last agent (w2 in the default lab). */
export function lastAgent(config: LabConfig) {
  const agents = agentNodes(config);
  return agents[agents.length - 1];
}

/** Needs at least this many agents. */
export function needsAgents(count: number) {
  return (config: LabConfig): Text | undefined =>
    agentNodes(config).length >= count
      ? undefined
      : text(
          `it needs at least ${count} agent nodes and this lab has ${agentNodes(config).length}. Add agents to nodes: in kubelab.config.yaml, then run: npm run up`,
          `에이전트 노드가 ${count}개 이상 필요한데 이 랩에는 ${agentNodes(config).length}개뿐입니다. kubelab.config.yaml의 nodes:에 에이전트를 추가한 뒤 다음을 실행하세요: npm run up`,
        );
}

/** Needs an HA control plane (3 or 5 servers). */
export function needsServers(count: number) {
  return (config: LabConfig): Text | undefined =>
    serverNodes(config).length >= count
      ? undefined
      : text(
          `it needs ${count} servers (an HA control plane) and this lab has ${serverNodes(config).length}. Give three nodes role: server in kubelab.config.yaml (docs/growing-the-lab.md), then run: npm run up`,
          `서버가 ${count}대 필요한데(HA 컨트롤 플레인) 이 랩에는 ${serverNodes(config).length}대뿐입니다. kubelab.config.yaml에서 노드 세 개를 role: server 로 두고(docs/growing-the-lab.md) 다음을 실행하세요: npm run up`,
        );
}

/** A Deployment's readiness as `kubectl rollout status` judges it: every replica updated and available. */
export function rolledOut(deployment: KubeObject | undefined): { done: boolean; summary: string } {
  if (!deployment) return { done: false, summary: 'no such Deployment' };
  const want = deployment.spec?.replicas ?? 1;
  const s = deployment.status ?? {};
  const updated = s.updatedReplicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const current = (s.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0);
  return { done: current && updated === want && available === want && (s.replicas ?? 0) === want, summary: `${available}/${want} available, ${updated} updated` };
}

/** The image of a Deployment's (or Pod's) first container. */
export function imageOf(object: KubeObject | undefined): string | undefined {
  const spec = object?.spec?.template?.spec ?? object?.spec;
  return spec?.containers?.[0]?.image;
}

/** Ready endpoints of a Service, from its EndpointSlices (label kubernetes.io/service-name). */
export async function readyEndpoints(resources: LabResources, namespace: string, service: string): Promise<number> {
  const slices = await resources.list('EndpointSlice', namespace, `kubernetes.io/service-name=${service}`);
  return slices.flatMap((s) => s.endpoints ?? []).filter((e: any) => e.conditions?.ready !== false).length;
}

/** A small web app: busybox's httpd serving one page that names the app. */
export function webDeployment(
  name: string,
  replicas: number,
  { labels = { app: name }, image = LESSON_BUSYBOX }: { labels?: Record<string, string>; image?: string } = {},
): KubeObject & { kind: 'Deployment' } {
  return {
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'web',
              image,
              command: ['sh', '-c', `mkdir -p /www && echo "hello from ${name}" > /www/index.html && exec httpd -f -p 8080 -h /www`],
              ports: [{ containerPort: 8080 }],
            },
          ],
        },
      },
    },
  };
}

/** A ClusterIP Service on port 80 to the app's 8080. */
export function webService(name: string, selector: Record<string, string> = { app: name }): KubeObject & { kind: 'Service' } {
  return { kind: 'Service', metadata: { name }, spec: { selector, ports: [{ port: 80, targetPort: 8080 }] } };
}

/** A Node's Ready condition. */
export function nodeReady(node: KubeObject | undefined): boolean {
  return node?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') === true;
}

/**
 * A lesson that powers a node off needs the lab `enough` asks for, and that node to be a
 * VM: kubelab never powers an existing machine.
 */
export function needsFailingVm(enough: (config: LabConfig) => Text | undefined, failing: (config: LabConfig) => LabNode) {
  return (config: LabConfig): Text | undefined => {
    const short = enough(config);
    if (short) return short;
    const node = failing(config);
    return node.host
      ? text(
          `${node.name} is an existing machine, which kubelab does not power off; this lesson needs it to be a VM`,
          `${node.name}은(는) 기존 머신이라 kubelab이 전원을 끄지 않습니다. 이 레슨은 해당 노드가 VM이어야 합니다`,
        )
      : undefined;
  };
}
