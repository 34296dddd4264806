/**
 * The container images the lab runs, pinned by image and tag, with the CPU architectures
 * their manifest lists name and where that was read. Kept by hand from primary sources:
 * the image-architecture test fails for any image the lab runs that is not here, or that
 * lacks a node architecture (amd64, arm64). "verified: false" says the list was read from
 * the image's build recipe, not from the published manifest list (no registry is reachable
 * from CI): say so in notes and re-check on a machine that can run `crane manifest`.
 */
export interface PinnedImage {
  readonly architectures: readonly string[];
  readonly source: string;
  readonly verified: boolean;
}

export const PINNED_IMAGES: Record<string, PinnedImage> = {
  // The kubernetes.io HPA walkthrough's php-apache image: amd64 only ("exec format error" on arm64).
  'registry.k8s.io/hpa-example': {
    architectures: ['amd64'],
    source: 'kubernetes/website issue #52532 (registry.k8s.io/hpa-example has no arm64 image)',
    verified: false,
  },
  // Kubernetes' own e2e image for exactly this job (HPA e2e tests): burns the CPU each request asks for.
  'registry.k8s.io/e2e-test-images/resource-consumer:1.13': {
    architectures: ['amd64', 'arm', 'arm64', 'ppc64le', 's390x'],
    source:
      'kubernetes/kubernetes test/images/resource-consumer/BASEIMAGE (read at 048f647e: amd64, arm, arm64, ppc64le, s390x) and test/utils/image/manifest.go (ResourceConsumer = e2e-test-images/resource-consumer:1.13); the BASEIMAGE of the commit that built 1.13 was not available to read',
    verified: false,
  },
  // The walkthrough's load generator (it uses busybox:1.28; 1.32.0 is the tag whose architectures could be read).
  'busybox:1.32.0': {
    architectures: ['amd64', 'arm32v5', 'arm32v6', 'arm32v7', 'arm64v8', 'i386', 'mips64le', 'ppc64le', 's390x'],
    source: 'docker-library/official-images library/busybox at 01fe87cd ("Tags: 1.32.0, 1.32, 1, latest / Architectures: …")',
    verified: true,
  },
  // The lessons' one image (cli/lesson/lesson-images.ts): apps, web servers, check probes.
  'busybox:1.37.0': {
    architectures: ['amd64', 'arm32v5', 'arm32v7', 'arm64v8', 'i386', 'ppc64le', 'riscv64', 's390x', 'arm32v6'],
    source: 'docker-library/official-images library/busybox at 37079fb3 (last changed in aea914b4: "Tags: 1.37.0, 1.37 / Architectures: …")',
    verified: true,
  },
  // The rollout lesson's starting image, rolled forward to the lessons' busybox.
  'busybox:1.36.1': {
    architectures: ['amd64', 'arm32v5', 'arm32v7', 'arm64v8', 'i386', 'ppc64le', 'riscv64', 's390x', 'arm32v6'],
    source: 'docker-library/official-images library/busybox at d6d62c71 ("Tags: 1.36.1, 1.36, stable / Architectures: …")',
    verified: true,
  },
};

/** Docker's official images name arm64 "arm64v8" (docker-library/official-images README, "Architectures other than amd64"). */
export function nodeArchitectures(pinned: PinnedImage): string[] {
  return pinned.architectures.map((a) => (a === 'arm64v8' ? 'arm64' : a));
}
