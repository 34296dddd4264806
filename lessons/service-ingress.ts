import { LabConfig } from '../config/lab-config';
import { labUrls } from '../config/urls';
import { Lesson, lessonNamespace, text } from '../cli/lesson/lesson';
import { met, notMet, readyEndpoints, webDeployment } from './lesson-helpers';

const ns = lessonNamespace({ id: 'service-ingress' });
const host = (config: LabConfig) => `hello.${labUrls(config).ingressIp}.sslip.io`;

/** Study note 002 (Service, Ingress): an app at a URL through Traefik. */
export const serviceIngress: Lesson = {
  id: 'service-ingress',
  title: text('Services and Ingress: your app at a URL', '서비스와 인그레스: 내 앱을 URL로 열기'),
  topic: 'seeds 002 (Service, Ingress)',
  needs: (config) =>
    config.components.ingress.enabled
      ? undefined
      : text('it needs the ingress (components.ingress.enabled: true), then: npm run up', '인그레스가 필요합니다(components.ingress.enabled: true). 그다음 npm run up'),
  setup: () => [webDeployment('hello', 2)],
  files: (config) => ({
    'service.yaml': ['apiVersion: v1', 'kind: Service', 'metadata:', '  name: hello', `  namespace: ${ns}`, 'spec:', '  # selector and ports: see the hints', ''].join('\n'),
    'ingress.yaml': [
      'apiVersion: networking.k8s.io/v1',
      'kind: Ingress',
      'metadata:',
      '  name: hello',
      `  namespace: ${ns}`,
      'spec:',
      '  rules:',
      `    - host: ${host(config)}`,
      '      http:',
      '        paths:',
      '          - path: /',
      '            pathType: Prefix',
      '            backend:',
      '              service:',
      '                name: hello',
      '                port:',
      '                  number: 80',
      '',
    ].join('\n'),
  }),
  goal: text(
    'The Deployment hello serves a page on port 8080. Give it a Service on port 80 and open it at its own URL through the ingress (Traefik).',
    '디플로이먼트 hello는 8080 포트로 페이지를 제공합니다. 80 포트의 서비스를 만들고, 인그레스(Traefik)를 통해 고유 URL로 열어 보세요.',
  ),
  steps: (config) => [
    text(`See the pods and their labels: npx kubelab kubectl get pods -n ${ns} --show-labels`, `파드와 레이블을 봅니다: npx kubelab kubectl get pods -n ${ns} --show-labels`),
    text(
      'Fill in lesson-files/service-ingress/service.yaml (selector and ports), then: npx kubelab kubectl apply -f lesson-files/service-ingress/service.yaml',
      'lesson-files/service-ingress/service.yaml 에 selector와 ports를 채운 뒤: npx kubelab kubectl apply -f lesson-files/service-ingress/service.yaml',
    ),
    text(`Check the Service found the pods: npx kubelab kubectl get endpointslices -n ${ns}`, `서비스가 파드를 찾았는지 확인합니다: npx kubelab kubectl get endpointslices -n ${ns}`),
    text('Route the URL to it: npx kubelab kubectl apply -f lesson-files/service-ingress/ingress.yaml', 'URL을 서비스로 연결합니다: npx kubelab kubectl apply -f lesson-files/service-ingress/ingress.yaml'),
    text(`Open http://${host(config)}/ in a browser.`, `브라우저에서 http://${host(config)}/ 를 엽니다.`),
  ],
  hints: [
    text('The pods carry the label app: hello; a Service selects pods by labels.', '파드에는 app: hello 레이블이 있고, 서비스는 레이블로 파드를 고릅니다.'),
    text('ports: - port: 80 (the Service) and targetPort: 8080 (the container).', 'ports: - port: 80 (서비스 포트), targetPort: 8080 (컨테이너 포트).'),
    text('No endpoints means the selector matches no ready pod: compare it with --show-labels.', '엔드포인트가 없다면 selector가 준비된 파드와 맞지 않는 것입니다: --show-labels 와 비교해 보세요.'),
  ],
  checks: [
    {
      goal: text('the Service hello sends port 80 to the pods', '서비스 hello가 80 포트를 파드로 보냄'),
      run: async (lab) => {
        const svc = await lab.resources.get('Service', ns, 'hello');
        if (!svc) return notMet(text(`there is no Service hello in ${ns}`, `${ns}에 서비스 hello가 없습니다`));
        const port = (svc.spec?.ports ?? []).find((p: any) => p.port === 80);
        if (!port) return notMet(text(`it has no port 80 (ports: ${(svc.spec?.ports ?? []).map((p: any) => p.port).join(', ') || 'none'})`, `80 포트가 없습니다(ports: ${(svc.spec?.ports ?? []).map((p: any) => p.port).join(', ') || '없음'})`));
        const endpoints = await readyEndpoints(lab.resources, ns, 'hello');
        if (endpoints === 0) return notMet(text('it has no ready endpoints: its selector matches no ready pod', '준비된 엔드포인트가 없습니다: selector와 맞는 준비된 파드가 없습니다'));
        return met(text(`port 80 to ${endpoints} ready pods`, `80 포트 → 준비된 파드 ${endpoints}개`));
      },
    },
    {
      goal: text('the URL answers through the ingress', '인그레스를 통해 URL이 응답함'),
      run: async (lab) => {
        const url = `http://${host(lab.config)}/`;
        const answer = await lab.probeUrl(url);
        if ('error' in answer) return notMet(text(`${url}: ${answer.error}`, `${url}: ${answer.error}`));
        return answer.status === 200
          ? met(text(`${url} answers 200`, `${url} 이 200으로 응답합니다`))
          : notMet(text(`${url} answers ${answer.status} (404: no Ingress rule for this host yet)`, `${url} 이 ${answer.status}로 응답합니다(404: 이 호스트의 인그레스 규칙이 아직 없음)`));
      },
    },
  ],
};
