/**
 * Every container image the lab runs exists for every node architecture (amd64 on x86-64
 * hosts, arm64 on Apple Silicon): the images in every synthesized stack, the pods the CLI
 * creates and every lesson's objects, manifests and probes, checked against the pinned list of
 * what each image's manifest list names.
 */
import * as YAML from 'yaml';
import { LOAD_GENERATOR } from '../../cli/cluster/load-generator';
import { LESSON_BUSYBOX } from '../../cli/lesson/lesson-images';
import { resolveLabConfig } from '../../config/load';
import { LESSONS } from '../../lessons';
import { PINNED_IMAGES, nodeArchitectures } from '../support/image-architectures';
import { synthLab } from './synth-lab';

/** Every `image` string anywhere in a synthesized stack, by where it was found. */
function imagesIn(value: unknown, at: string, found: Map<string, string>): void {
  if (Array.isArray(value)) value.forEach((v, i) => imagesIn(v, `${at}[${i}]`, found));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      // Container specs: kubernetes_* resources name it `image`; step triggers name the Ubuntu release `image` too.
      if (k === 'image' && typeof v === 'string' && !at.includes('null_resource')) found.set(`${at}.image`, v);
      else imagesIn(v, `${at}.${k}`, found);
    }
  }
}

const found = new Map<string, string>();
beforeAll(() => {
  const lab = synthLab({ components: { dashboard: { enabled: true } } });
  for (const [name, stack] of Object.entries(lab.stacks)) imagesIn(stack, name, found);
  imagesIn(LOAD_GENERATOR.spec, `kubelab load: pod ${LOAD_GENERATOR.metadata.name}`, found);
  const config = resolveLabConfig({}).config;
  for (const lesson of LESSONS) {
    // break-fix starts from an image tag that does not exist, on purpose (the learner's ImagePullBackOff).
    const brokenOnPurpose = (image: string) => lesson.id === 'break-fix' && image.startsWith(`${LESSON_BUSYBOX}-`);
    const lessonImages = new Map<string, string>();
    imagesIn(lesson.setup?.(config) ?? [], `lesson ${lesson.id}: setup`, lessonImages);
    for (const [file, text] of Object.entries(lesson.files?.(config) ?? {})) {
      YAML.parseAllDocuments(text).forEach((doc, i) => imagesIn(doc.toJSON(), `lesson ${lesson.id}: lesson-files/${lesson.id}/${file}#${i}`, lessonImages));
    }
    for (const [where, image] of lessonImages) if (!brokenOnPurpose(image)) found.set(where, image);
  }
  // Every check's probe pod (cli/lesson/lesson-runner.ts).
  found.set('lesson checks: probe pods', LESSON_BUSYBOX);
});

test('the lab runs at least the HPA demo, the load generator and the lessons\' images', () => {
  expect(found.size).toBeGreaterThanOrEqual(2);
  expect([...found.keys()].filter((where) => where.startsWith('lesson ')).length).toBeGreaterThanOrEqual(3);
});

test('every image the lab runs is pinned, and its manifest list names amd64 and arm64', () => {
  const problems = [...found].flatMap(([where, image]) => {
    const pinned = PINNED_IMAGES[image];
    if (!pinned) return [`${where}: ${image} is not in __tests__/support/image-architectures.ts (read its manifest list and add it)`];
    const missing = ['amd64', 'arm64'].filter((a) => !nodeArchitectures(pinned).includes(a));
    return missing.length ? [`${where}: ${image} has no ${missing.join(', ')} image (${pinned.source})`] : [];
  });
  expect(problems).toEqual([]);
});
