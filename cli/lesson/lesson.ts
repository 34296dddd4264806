import { LabConfig, LabNode } from '../../config/lab-config';
import { ProbeResult } from '../cluster/web-probe';
import { KindName } from './api-kinds';
import { KubeObject, LabResources } from './lab-resources';

/** Every learner-facing text of a lesson, in English and Korean (the study notes' language). */
export interface Text {
  readonly en: string;
  readonly ko: string;
}

export type Language = keyof Text;

/** What a check saw, and whether the goal is met. */
export interface CheckResult {
  readonly met: boolean;
  /** What the check read from the cluster, in words that say what is missing when the goal is not met. */
  readonly saw: Text;
}

/** What a check can read: the cluster's real state and behaviour, never the learner's commands. */
export interface LessonLab {
  readonly config: LabConfig;
  readonly resources: LabResources;
  /**
   * Runs a short-lived busybox pod in the lesson's namespace with these labels and this
   * shell command, waits until it ends and deletes it: 'Succeeded' when the command
   * exited 0, 'Failed' when not, 'timeout' when it did not end in time.
   */
  probePod(name: string, labels: Record<string, string>, command: string, volumes?: { claim: string; mountPath: string }): Promise<'Succeeded' | 'Failed' | 'timeout'>;
  /** A request through the lab's ingress, keeping the URL's host in the Host header. */
  probeUrl(url: string): Promise<ProbeResult>;
  /** What this lesson's earlier checks saw and kept (cleared by start and reset). */
  readonly memory: Readonly<Record<string, string>>;
  remember(key: string, value: string): void;
}

export interface LessonCheck {
  /** The goal this check decides, as the learner reads it. */
  readonly goal: Text;
  run(lab: LessonLab): Promise<CheckResult>;
}

/** One guided exercise: data only. lessons/index.ts lists them. */
export interface Lesson {
  /** Short, lower-case, what `npx kubelab lesson start <id>` takes. */
  readonly id: string;
  readonly title: Text;
  /** The study note (../shared/seeds) or Kubernetes topic the lesson follows. */
  readonly topic: string;
  /**
   * Why this lab cannot run the lesson and how to get a lab that can, or undefined when it can.
   * @default every lab can run it
   */
  readonly needs?: (config: LabConfig) => Text | undefined;
  /**
   * Objects applied at start and again at reset (the lesson's namespace is created first).
   * @default none
   */
  readonly setup?: (config: LabConfig) => (KubeObject & { kind: KindName })[];
  /**
   * Manifests the learner applies, written to lesson-files/<id>/ at start.
   * @default none
   */
  readonly files?: (config: LabConfig) => Record<string, string>;
  /**
   * A node whose VM is powered off at start (a node failure to work through).
   * @default none
   */
  readonly failedNode?: (config: LabConfig) => LabNode;
  readonly goal: Text;
  /** The steps, with commands that run verbatim in cmd, PowerShell and sh. */
  readonly steps: (config: LabConfig) => Text[];
  readonly hints: Text[];
  readonly checks: LessonCheck[];
}

/** The namespace a lesson's objects live in. */
export function lessonNamespace(lesson: Pick<Lesson, 'id'>): string {
  return `lesson-${lesson.id}`;
}

/** The snapshot every VM node is returned to by `npx kubelab lesson reset <id>`. */
export function lessonSnapshot(lesson: Pick<Lesson, 'id'>): string {
  return `lesson-${lesson.id}`;
}

/** Shorthand for a text in both languages. */
export function text(en: string, ko: string): Text {
  return { en, ko };
}
