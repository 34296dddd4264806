/**
 * The one image the lessons run (their apps, web servers and probes): busybox has a
 * shell, wget and httpd, so no lesson needs an image of its own. The official image is
 * published for amd64 and arm64 among others (docker-library/official-images library/busybox,
 * "Tags: 1.37.0": the pinned list in __tests__/support/image-architectures.ts says where).
 */
export const LESSON_BUSYBOX = 'busybox:1.37.0';
