/**
 * The one image the lessons run (their apps, web servers and probes): busybox has a
 * shell, wget and httpd, so no lesson needs an image of its own. The official image is
 * published for amd64 and arm64 among others (Docker Hub's library/busybox tags page;
 * unverified here: this machine reaches no registry).
 */
export const LESSON_BUSYBOX = 'busybox:1.37.0';
