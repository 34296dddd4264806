/**
 * An air-gapped install uploads the user's K3s binary: it must be built for the nodes'
 * architecture (arm64 on Apple Silicon), and the message names the file to download there.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { elfArch, k3sReleaseFiles, resolveInstallerFiles } from '../../cli/k3s/installer-files';
import { resolveLabConfig } from '../../config/load';
import { labPaths } from '../../config/paths';

let project: string;
beforeEach(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-k3s-arch-'));
  fs.writeFileSync(path.join(project, 'install.sh'), '#!/bin/sh\n');
});
afterEach(() => fs.rmSync(project, { recursive: true, force: true }));

const cfg = (binary: string) => resolveLabConfig({ k3s: { version: 'v1.36.4+k3s1', installer: { source: 'local', binary, script: 'install.sh' } } }).config;

test('the release files per architecture, as K3s releases name them', () => {
  expect(k3sReleaseFiles('amd64')).toEqual({ binary: 'k3s', sums: 'sha256sum-amd64.txt', images: 'k3s-airgap-images-amd64.tar.zst' });
  expect(k3sReleaseFiles('arm64')).toEqual({ binary: 'k3s-arm64', sums: 'sha256sum-arm64.txt', images: 'k3s-airgap-images-arm64.tar.zst' });
});

test('an x86-64 program as the binary of an arm64 lab is refused, naming k3s-arm64 and its checksum file', () => {
  // This machine's own /bin/true is a real x86-64 ELF program.
  fs.copyFileSync('/bin/true', path.join(project, 'k3s'));
  expect(elfArch(path.join(project, 'k3s'))).toBe(process.arch === 'arm64' ? 'arm64' : 'amd64');
  const arch = process.arch === 'arm64' ? 'amd64' : 'arm64';
  expect(() => resolveInstallerFiles(cfg('k3s'), labPaths(project), arch)).toThrow(
    new RegExp(`^k3s\\.installer\\.binary = "k3s" is a program for (amd64|arm64), but the lab's nodes are ${arch} .*download "${k3sReleaseFiles(arch).binary}" from https://github\\.com/k3s-io/k3s/releases/tag/v1\\.36\\.4%2Bk3s1 and check it against sha256sum-${arch}\\.txt$`),
  );
  expect(resolveInstallerFiles(cfg('k3s'), labPaths(project), process.arch === 'arm64' ? 'arm64' : 'amd64')?.binary).toBe(path.join(project, 'k3s'));
});

test('a missing binary on an arm64 lab names the arm64 release files', () => {
  expect(() => resolveInstallerFiles(cfg('k3s-arm64'), labPaths(project), 'arm64')).toThrow(/binary "k3s-arm64", checked against sha256sum-arm64\.txt; images "k3s-airgap-images-arm64\.tar\.zst"/);
});

test('a script stand-in is not an ELF program and is not judged', () => {
  fs.writeFileSync(path.join(project, 'k3s'), '#!/usr/bin/env python3\n');
  expect(elfArch(path.join(project, 'k3s'))).toBeUndefined();
  expect(resolveInstallerFiles(cfg('k3s'), labPaths(project), 'arm64')?.binary).toBe(path.join(project, 'k3s'));
});
