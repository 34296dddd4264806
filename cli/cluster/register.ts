import { Command, Option } from 'commander';
import { labUrls } from '../../config/urls';
import { CliContext } from '../context';
import { KubelabError } from '../errors';
import { durationOption } from '../duration-option';
import { openInBrowser } from './browser';
import { dashboardLogin, parseTokenDuration } from './dashboard-login';
import { watchHpa } from './hpa-watch';
import { connectLabCluster } from './kube-client';
import { formatOutcome, runLabChecks } from './lab-checks';
import { startLab, stopLab } from './lab-power';
import { lastTimings } from '../deploy/timings';
import { labStatusTable } from './lab-status';
import { virtualBoxVms, virtualBoxVmsIfInstalled } from './lab-vms';
import { startLoad, stopLoad } from './load-generator';
import { runLoadTest } from './load-test';
import { IngressAddress, ingressAddressOf } from './web-probe';

export interface IngressOptions {
  ingressHttp?: string;
  ingressHttps?: string;
}

/** --ingress-http/--ingress-https: where the checks reach Traefik (a NAT port-forward, an SSH tunnel). */
export function withIngressOptions(command: Command): Command {
  return command
    .addOption(new Option('--ingress-http <host:port>', "reach the ingress's http entrypoint here instead of <server ip>:80 (the Host header still names the app)"))
    .addOption(new Option('--ingress-https <host:port>', "reach the ingress's https entrypoint here instead of <server ip>:443"));
}

/** The day-two verbs: verify, dashboard, load, status, start, stop. */
export function registerClusterCommands(program: Command, ctx: CliContext): void {
  const ingressOf = (opts: IngressOptions): IngressAddress =>
    ingressAddressOf(labUrls(ctx.config).ingressIp, { http: opts.ingressHttp, https: opts.ingressHttps });
  const live = () => process.stdout.isTTY === true;
  const requireHpaDemo = () => {
    if (!ctx.config.components.hpaDemo.enabled) {
      throw new KubelabError(`components.hpaDemo.enabled is false in ${ctx.configSource}: this lab has no HPA demo to load`);
    }
  };

  withIngressOptions(
    program
      .command('verify')
      .description(
        'Check the live lab end to end, one line per check: nodes Ready on their host-only IPs (not 10.0.2.15), the metrics API serving node and pod metrics, ' +
          'the ingress answering, the dashboard answering, the HPA reading a real CPU value (not <unknown>). Fails naming the first broken check.',
      )
      .option('--load', 'then run the HPA load test: start the load generator, pass when php-apache scales above 1 replica within --timeout, stop the load, report how long scale-up took')
      .addOption(durationOption('--timeout', 'time limit of the load test', 300_000))
      .addOption(durationOption('--interval', 'how often the load test reads the HPA', 5000)),
  ).action(async (opts: IngressOptions & { load?: boolean; timeout: number; interval: number }) => {
    const cluster = await connectLabCluster(ctx);
    const outcomes = await runLabChecks({ cluster, config: ctx.config, urls: labUrls(ctx.config), ingress: ingressOf(opts) });
    for (const o of outcomes) ctx.out(formatOutcome(o));
    const broken = outcomes.find((o) => o.status === 'fail');
    if (broken) throw new KubelabError(`verify failed: first broken check: ${broken.name}`);
    if (opts.load) {
      requireHpaDemo();
      const result = await runLoadTest({
        cluster,
        out: ctx.out,
        timeoutMs: opts.timeout,
        intervalMs: opts.interval,
        live: live(),
      });
      ctx.out(formatOutcome({ name: 'hpa', status: 'ok', detail: `load test: scaled to ${result.replicas} replicas after ${result.seconds} s under load (CPU ${result.cpuUtilization ?? '?'}%)` }));
    }
    const passed = outcomes.filter((o) => o.status === 'ok').length;
    ctx.out(`kubelab: verify passed (${passed} check${passed === 1 ? '' : 's'}${opts.load ? ' and the load test' : ''})`);
  });

  program
    .command('dashboard')
    .description(
      'Print the dashboard URL and a fresh short-lived login token for the kubelab-admin ServiceAccount (TokenRequest API, like `kubectl create token`). ' +
        'The token is printed, never stored. Works the same after a host reboot: the dashboard is behind the ingress, no port-forward.',
    )
    .option('--open', 'also open the URL in the default browser')
    .option('--read-only', 'a token for kubelab-viewer (the built-in read-only view role) instead of cluster-admin')
    .option('--duration <duration>', 'how long the token is valid, e.g. 30m, 1h, 8h (at least 10m)', '1h')
    .action(async (opts: { open?: boolean; readOnly?: boolean; duration: string }) => {
      const dashboard = labUrls(ctx.config).dashboard;
      if (!dashboard) throw new KubelabError(`components.dashboard.enabled is false in ${ctx.configSource}: this lab has no dashboard`);
      const seconds = parseTokenDuration(opts.duration);
      const cluster = await connectLabCluster(ctx);
      for (const line of await dashboardLogin(cluster, dashboard, { readOnly: opts.readOnly === true, seconds })) ctx.out(line);
      if (opts.open) {
        await openInBrowser(dashboard.url).catch((err: Error) => ctx.warn(`kubelab: could not open a browser (${err.message}); open ${dashboard.url} yourself`));
      }
    });

  const load = program
    .command('load')
    .description(
      "Put the HPA demo (php-apache) under load with the kubernetes.io walkthrough's busybox wget loop, run as the pod hpa-demo/load-generator, and watch the HPA react.",
    );
  load
    .command('start')
    .description('Create the load-generator pod (no-op when it runs)')
    .action(async () => {
      requireHpaDemo();
      const started = await startLoad(await connectLabCluster(ctx));
      ctx.out(started === 'created' ? 'kubelab: load generator started; watch the HPA with: npx kubelab load watch' : 'kubelab: the load generator is already running; nothing to do');
    });
  load
    .command('stop')
    .description('Delete the load-generator pod (no-op when there is none); the HPA scales back down after its 60 s window')
    .action(async () => {
      requireHpaDemo();
      const stopped = await stopLoad(await connectLabCluster(ctx));
      ctx.out(stopped === 'deleted' ? 'kubelab: load generator stopped' : 'kubelab: no load generator is running; nothing to do');
    });
  load
    .command('watch')
    .description('A live view of the HPA: replicas and CPU against the 50% target, each with a sparkline of the recent samples (Ctrl-C ends it)')
    .addOption(durationOption('--interval', 'time between samples', 5000))
    .option('--samples <n>', 'stop after this many samples (0: until Ctrl-C)', '0')
    .action(async (opts: { interval: number; samples: string }) => {
      requireHpaDemo();
      const samples = Number(opts.samples);
      if (!Number.isInteger(samples) || samples < 0) throw new KubelabError(`--samples '${opts.samples}' must be a whole number, 0 or more`);
      await watchHpa({ cluster: await connectLabCluster(ctx), out: ctx.out, intervalMs: opts.interval, samples, live: live() });
    });

  program
    .command('status')
    .description('One table of the whole lab: VMs (state, IP), nodes (Ready, K3s version, InternalIP), Helm releases, URLs and how long the last deploy took per phase')
    .action(async () => {
      const cluster = await connectLabCluster(ctx).catch((err: Error) => {
        if (err instanceof KubelabError) return { unavailable: err.message };
        throw err;
      });
      const table = await labStatusTable({ config: ctx.config, urls: labUrls(ctx.config), vms: virtualBoxVmsIfInstalled(ctx), cluster, lastDeploy: lastTimings(ctx.paths) });
      for (const line of table) ctx.out(line);
    });

  withIngressOptions(
    program
      .command('start')
      .description('Start every lab VM (the server first), then wait until all nodes are Ready and the lab URLs answer: the lab back after a host reboot')
      .addOption(durationOption('--timeout', 'how long to wait for the nodes and URLs', 10 * 60_000))
      .addOption(durationOption('--interval', 'how often to look', 5000)),
  ).action(async (opts: IngressOptions & { timeout: number; interval: number }) => {
    await startLab({
      config: ctx.config,
      vms: virtualBoxVms(ctx),
      out: ctx.out,
      connect: () => connectLabCluster(ctx),
      urls: labUrls(ctx.config),
      ingress: ingressOf(opts),
      timeoutMs: opts.timeout,
      intervalMs: opts.interval,
    });
  });

  program
    .command('stop')
    .description('Shut every lab VM down cleanly (ACPI), the agents first and the server last')
    .option('--force', 'power off at once instead of a clean shutdown')
    .action(async (opts: { force?: boolean }) => {
      await stopLab({ config: ctx.config, vms: virtualBoxVms(ctx), out: ctx.out, force: opts.force === true });
    });
}
