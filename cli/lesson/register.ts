import { Command, Option } from 'commander';
import { findNode, vmNodes } from '../../config/lab-config';
import { labUrls } from '../../config/urls';
import { CliContext } from '../context';
import { KubelabError } from '../errors';
import { connectLabCluster } from '../cluster/kube-client';
import { IngressOptions, withIngressOptions } from '../cluster/register';
import { startLab } from '../cluster/lab-power';
import { virtualBoxVms } from '../cluster/lab-vms';
import { IngressAddress, ingressAddressOf, probeWebApp } from '../cluster/web-probe';
import { restoreSnapshot, takeSnapshot } from '../virtualbox/snapshots';
import { VBoxManage } from '../virtualbox/vboxmanage';
import { LESSONS } from '../../lessons';
import { connectLabResources } from './lab-resources';
import { Language, Lesson } from './lesson';
import { readProgress } from './lesson-progress';
import { LessonMachines, LessonRunner } from './lesson-runner';

/** ko when the user's locale is Korean (LC_ALL, LC_MESSAGES, LANG, then the OS locale Node reports), else en. */
export function defaultLanguage(env: NodeJS.ProcessEnv = process.env): Language {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || Intl.DateTimeFormat().resolvedOptions().locale;
  return /^ko\b|^ko[-_]/i.test(locale ?? '') ? 'ko' : 'en';
}

function languageOf(value: string): Language {
  if (value !== 'en' && value !== 'ko') throw new KubelabError(`--lang '${value}' is not a language of the lessons; use en or ko`);
  return value;
}

/** The lab's VMs as lessons use them: snapshots of every VM node, power, and the wait until the nodes are back. */
function virtualBoxMachines(ctx: CliContext, ingress: IngressAddress): LessonMachines {
  // Found on first use: check and hint need no VirtualBox.
  const vb = () => new VBoxManage();
  const { config } = ctx;
  return {
    takeSnapshot: async (name) => {
      for (const node of vmNodes(config)) await takeSnapshot(vb(), config.name, node.name, name, ctx.paths, ctx.out);
    },
    restoreSnapshot: async (name) => {
      for (const node of vmNodes(config)) await restoreSnapshot(vb(), config.name, node.name, name, ctx.paths, ctx.out);
    },
    powerOff: (nodeName) => virtualBoxVms(ctx).stop(findNode(config, nodeName), true),
    waitUntilReady: () =>
      startLab({
        config,
        vms: virtualBoxVms(ctx),
        out: ctx.out,
        connect: () => connectLabCluster(ctx),
        urls: labUrls(config),
        ingress,
        timeoutMs: 10 * 60000,
        intervalMs: 5000,
      }),
  };
}

/** `kubelab lesson …`: guided exercises on the running lab, checked against the cluster's state. */
export function registerLessonCommands(program: Command, ctx: CliContext): void {
  const runner = (opts: IngressOptions & { lang?: Language }) => {
    const ingress = ingressAddressOf(labUrls(ctx.config).ingressIp, { http: opts.ingressHttp, https: opts.ingressHttps });
    return new LessonRunner({
      config: ctx.config,
      paths: ctx.paths,
      resources: () => connectLabResources(ctx),
      machines: virtualBoxMachines(ctx, ingress),
      probeUrl: (url) => probeWebApp(url, ingress),
      out: ctx.out,
      lang: opts.lang ?? defaultLanguage(),
    });
  };
  const lessonOf = (id: string | undefined): Lesson => {
    const wanted = id ?? readProgress(ctx.paths).current;
    if (!wanted) throw new KubelabError('no lesson started yet: see them with npx kubelab lesson list, then: npx kubelab lesson start <id>');
    const found = LESSONS.find((l) => l.id === wanted);
    if (!found) throw new KubelabError(`there is no lesson '${wanted}'; the lessons are: ${LESSONS.map((l) => l.id).join(', ')}`);
    return found;
  };
  const lang = () => new Option('--lang <language>', 'en or ko (default: from the locale)').argParser(languageOf);

  const lesson = program
    .command('lesson')
    .description("Guided exercises on the running lab: start one, work through its steps, and check your work against the cluster's real state");
  lesson
    .command('list')
    .description('The lessons, and whether this lab can run each')
    .addOption(lang())
    .action((opts: { lang?: Language }) => {
      const language = opts.lang ?? defaultLanguage();
      const current = readProgress(ctx.paths).current;
      for (const l of LESSONS) {
        const unfit = l.needs?.(ctx.config);
        ctx.out(`${l.id === current ? '*' : ' '} ${l.id.padEnd(16)} ${l.title[language]}${unfit ? `  (${unfit[language]})` : ''}`);
      }
      ctx.out(language === 'ko' ? '레슨 시작: npx kubelab lesson start <id>' : 'start one with: npx kubelab lesson start <id>');
    });
  withIngressOptions(lesson
    .command('start')
    .description("Snapshot every node (to come back to), set up the lesson's starting state, and print its goal and steps")
    .argument('<id>', 'the lesson, e.g. rollout (see: npx kubelab lesson list)')
    .addOption(lang()),
  ).action(async (id: string, opts: IngressOptions & { lang?: Language }) => runner(opts).start(lessonOf(id)));
  withIngressOptions(lesson
    .command('check')
    .description('Read the cluster and say, per goal, met or not met and what was seen')
    .argument('[id]', 'the lesson (default: the one started last)')
    .addOption(lang()),
  ).action(async (id: string | undefined, opts: IngressOptions & { lang?: Language }) => runner(opts).check(lessonOf(id)));
  lesson
    .command('hint')
    .description('The next hint of the lesson')
    .argument('[id]', 'the lesson (default: the one started last)')
    .addOption(lang())
    .action((id: string | undefined, opts: { lang?: Language }) => runner(opts).hint(lessonOf(id)));
  withIngressOptions(lesson
    .command('reset')
    .description("Return the lab to the lesson's start: every node back to the lesson's snapshot, then the lesson set up again")
    .argument('[id]', 'the lesson (default: the one started last)')
    .addOption(lang()),
  ).action(async (id: string | undefined, opts: IngressOptions & { lang?: Language }) => runner(opts).reset(lessonOf(id)));
}
