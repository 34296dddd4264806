import * as fs from 'fs';
import * as path from 'path';
import { LabConfig, vmNodes } from '../../config/lab-config';
import { LabPaths } from '../../config/paths';
import { KubelabError } from '../errors';
import { ProbeResult } from '../cluster/web-probe';
import { withWait } from '../wait-progress';
import { LabResources } from './lab-resources';
import { Language, Lesson, LessonLab, Text, lessonNamespace, lessonSnapshot } from './lesson';
import { readProgress, updateLesson } from './lesson-progress';
import { LESSON_BUSYBOX } from './lesson-images';

/** What lessons do to the lab's machines: snapshots and power, through the VirtualBox verbs. */
export interface LessonMachines {
  /** Takes the snapshot of every VM node; a node that already has one of that name keeps it. */
  takeSnapshot(name: string): Promise<void>;
  /** Returns every VM node to the snapshot (power off, restore, start). */
  restoreSnapshot(name: string): Promise<void>;
  /** Powers a node's VM off at once, as a failure would. */
  powerOff(nodeName: string): Promise<void>;
  /** Waits until every node is Ready again (after a restore). */
  waitUntilReady(): Promise<void>;
}

export interface LessonRunnerProps {
  readonly config: LabConfig;
  readonly paths: LabPaths;
  readonly resources: () => Promise<LabResources>;
  readonly machines: LessonMachines;
  readonly probeUrl: (url: string) => Promise<ProbeResult>;
  readonly out: (line: string) => void;
  readonly lang: Language;
  /** @default 1000 */
  readonly pollMs?: number;
  /** How long a probe pod or a namespace deletion may take. @default 120000 */
  readonly waitMs?: number;
}

/** The lesson verbs: start, check, hint, reset. */
export class LessonRunner {
  constructor(private readonly p: LessonRunnerProps) {}

  private say(t: Text): string {
    return t[this.p.lang];
  }

  /** A lab of VMs can snapshot every node; a lab with existing machines cannot. */
  private get snapshots(): boolean {
    return vmNodes(this.p.config).length === this.p.config.nodes.length;
  }

  async start(lesson: Lesson): Promise<void> {
    const unfit = lesson.needs?.(this.p.config);
    if (unfit) throw new KubelabError(`lesson ${lesson.id}: ${this.say(unfit)}`);
    if (this.snapshots) {
      this.p.out(`kubelab: snapshot ${lessonSnapshot(lesson)} of every node, to come back to with: npx kubelab lesson reset ${lesson.id}`);
      await this.p.machines.takeSnapshot(lessonSnapshot(lesson));
    } else {
      this.p.out(`kubelab: this lab has existing machines, which kubelab does not snapshot: npx kubelab lesson reset ${lesson.id} re-creates the lesson's objects only`);
    }
    await this.setUp(lesson);
    const files = lesson.files?.(this.p.config) ?? {};
    for (const [name, content] of Object.entries(files)) {
      const file = path.join(this.p.paths.projectDir, 'lesson-files', lesson.id, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
    updateLesson(this.p.paths, lesson.id, () => ({ hintsShown: 0, memory: {} }), lesson.id);
    this.p.out('');
    this.p.out(`# ${this.say(lesson.title)}`);
    this.p.out(this.say(lesson.goal));
    this.p.out('');
    lesson.steps(this.p.config).forEach((step, i) => this.p.out(`${i + 1}. ${this.say(step)}`));
    this.p.out('');
    this.p.out(this.say({ en: 'Check your work at any time with: npx kubelab lesson check', ko: '언제든 다음 명령으로 확인하세요: npx kubelab lesson check' }));
  }

  async check(lesson: Lesson): Promise<void> {
    const resources = await this.p.resources();
    const memory = { ...(readProgress(this.p.paths).lessons[lesson.id]?.memory ?? {}) };
    const lab: LessonLab = {
      config: this.p.config,
      resources,
      probePod: (name, labels, command, volume) => this.probePod(resources, lesson, name, labels, command, volume),
      probeUrl: this.p.probeUrl,
      memory,
      remember: (key, value) => {
        memory[key] = value;
      },
    };
    let met = 0;
    for (const check of lesson.checks) {
      const result = await check.run(lab);
      if (result.met) met++;
      this.p.out(`${result.met ? 'met    ' : 'not met'}  ${this.say(check.goal)}: ${this.say(result.saw)}`);
    }
    updateLesson(this.p.paths, lesson.id, (r) => ({ ...r, memory }));
    if (met < lesson.checks.length) {
      throw new KubelabError(
        this.say({
          en: `lesson ${lesson.id}: ${met} of ${lesson.checks.length} goals met; a hint: npx kubelab lesson hint`,
          ko: `레슨 ${lesson.id}: 목표 ${lesson.checks.length}개 중 ${met}개 달성; 힌트: npx kubelab lesson hint`,
        }),
      );
    }
    this.p.out(this.say({ en: `kubelab: lesson ${lesson.id} done: all ${met} goals met`, ko: `kubelab: 레슨 ${lesson.id} 완료: 목표 ${met}개 모두 달성` }));
  }

  hint(lesson: Lesson): void {
    const shown = readProgress(this.p.paths).lessons[lesson.id]?.hintsShown ?? 0;
    const next = Math.min(shown, lesson.hints.length - 1);
    this.p.out(`${this.say({ en: 'hint', ko: '힌트' })} ${next + 1}/${lesson.hints.length}: ${this.say(lesson.hints[next])}`);
    updateLesson(this.p.paths, lesson.id, (r) => ({ ...r, hintsShown: Math.min(shown + 1, lesson.hints.length) }));
  }

  async reset(lesson: Lesson): Promise<void> {
    if (this.snapshots) {
      await this.p.machines.restoreSnapshot(lessonSnapshot(lesson));
      await this.p.machines.waitUntilReady();
    } else {
      await this.deleteNamespace(lesson);
    }
    await this.setUp(lesson);
    updateLesson(this.p.paths, lesson.id, () => ({ hintsShown: 0, memory: {} }), lesson.id);
    this.p.out(`kubelab: lesson ${lesson.id} is back at its start; the steps again: npx kubelab lesson start ${lesson.id}`);
  }

  /** The namespace and the lesson's objects, then the node failure it starts with. */
  private async setUp(lesson: Lesson): Promise<void> {
    const resources = await this.p.resources();
    const namespace = lessonNamespace(lesson);
    await resources.apply({ kind: 'Namespace', metadata: { name: namespace, labels: { 'app.kubernetes.io/part-of': 'kubelab-lessons' } } });
    for (const object of lesson.setup?.(this.p.config) ?? []) await resources.apply({ ...object, metadata: { ...object.metadata, namespace } });
    const failed = lesson.failedNode?.(this.p.config);
    if (failed) {
      this.p.out(`kubelab: powering off ${failed.name}, as a failed node would be`);
      await this.p.machines.powerOff(failed.name);
    }
    this.p.out(`kubelab: lesson ${lesson.id} set up in namespace ${namespace}`);
  }

  private async deleteNamespace(lesson: Lesson): Promise<void> {
    const resources = await this.p.resources();
    const namespace = lessonNamespace(lesson);
    if ((await resources.remove('Namespace', undefined, namespace)) === 'absent') return;
    // Deleting a namespace only starts it: its objects go first, then the namespace itself.
    await withWait(`namespace ${namespace} to be deleted`, { timeoutMs: this.p.waitMs ?? 120000, out: this.p.out }, async (wait) => {
      while (await resources.get('Namespace', undefined, namespace)) {
        wait.seen = 'still terminating';
        if (wait.expired()) throw wait.timedOut();
        await sleep(this.p.pollMs ?? 1000);
      }
    });
  }

  private async probePod(
    resources: LabResources,
    lesson: Lesson,
    name: string,
    labels: Record<string, string>,
    command: string,
    volume?: { claim: string; mountPath: string },
  ): Promise<'Succeeded' | 'Failed' | 'timeout'> {
    const namespace = lessonNamespace(lesson);
    await resources.remove('Pod', namespace, name);
    await resources.apply({
      kind: 'Pod',
      metadata: { name, namespace, labels: { ...labels, 'kubelab/probe': 'true' } },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 0,
        containers: [{ name: 'probe', image: LESSON_BUSYBOX, command: ['sh', '-c', command], ...(volume ? { volumeMounts: [{ name: 'data', mountPath: volume.mountPath }] } : {}) }],
        ...(volume ? { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: volume.claim } }] } : {}),
      },
    });
    try {
      return await withWait(`probe pod ${namespace}/${name}`, { timeoutMs: this.p.waitMs ?? 120000, out: this.p.out }, async (wait) => {
        for (;;) {
          const phase = (await resources.get('Pod', namespace, name))?.status?.phase;
          if (phase === 'Succeeded' || phase === 'Failed') return phase;
          wait.seen = phase ?? 'not created yet';
          if (wait.expired()) return 'timeout' as const;
          await sleep(this.p.pollMs ?? 1000);
        }
      });
    } finally {
      await resources.remove('Pod', namespace, name);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
