/** Runs lessons in this process against the Kubernetes API stand-in (not a cluster) in a scratch project. */
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { CliInChild } from '../cluster/cli-in-child';
import { KubeApiStandIn } from '../support/kube-api-standin';

/**
 * INGRESS STAND-IN (not Traefik) that routes like Traefik's Kubernetes Ingress provider:
 * a request whose Host header names a rule of an Ingress in the API stand-in's store
 * answers 200, anything else 404 (kubernetes.io "Ingress": rules match on host, then path).
 */
export class IngressRoutesStandIn {
  private server?: http.Server;
  constructor(private readonly api: KubeApiStandIn) {}

  /** host:port for --ingress-http. */
  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const routed = [...this.api.objects.values()].some((o) => o.kind === 'Ingress' && (o.spec?.rules ?? []).some((r: any) => r.host === req.headers.host));
      res.writeHead(routed ? 200 : 404).end(routed ? 'hello' : '404 page not found\n');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
}

export interface LessonRun {
  readonly lines: string[];
  /** The one error line a learner would see, without its "kubelab: error: " prefix. */
  readonly error?: string;
  readonly code: number;
}

/** A scratch project whose kubeconfig points at the API stand-in; config written when given. */
export function scratchProject(api: KubeApiStandIn, configYaml?: string): string {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-lesson-'));
  if (configYaml) fs.writeFileSync(path.join(project, 'kubelab.config.yaml'), configYaml);
  api.writeKubeconfig(project);
  return project;
}

/** `npx kubelab lesson <verb> …` in a CLI child (the Kubernetes client is ESM-only: it cannot load inside jest). */
export class LessonCli {
  private readonly cli: CliInChild;
  constructor(
    private readonly ingress: () => string,
    env?: NodeJS.ProcessEnv,
  ) {
    this.cli = new CliInChild(env);
  }

  async run(project: string, verb: string, ...args: string[]): Promise<LessonRun> {
    const reachesIngress = ['start', 'check', 'reset'].includes(verb) ? ['--ingress-http', this.ingress()] : [];
    const r = await this.cli.run(['lesson', verb, ...args, '--lang', 'en', ...reachesIngress], project);
    const error = r.err.map((l) => /^kubelab: error: (.*)$/.exec(l)?.[1]).find((l) => l !== undefined);
    if (r.code === 99) throw new Error(r.err.join('\n'));
    return { lines: r.out, error, code: r.code };
  }

  stop(): void {
    this.cli.stop();
  }
}
