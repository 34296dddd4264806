import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checksumsFileText, elfArch, fillCache, k3sInstallerCacheDir, resolveInstallerFiles, stagedImagesName } from '../../cli/k3s/installer-files';
import { resolveLabConfig } from '../../config/load';
import { labPaths } from '../../config/paths';
import { requireTool, TOOL_TIMEOUT_MS } from '../support/tools';

/* The K3s files a step uploads: the host's cache of an online install, the user's local files, their checksums. */

let dir: string;
let savedCache: string | undefined;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-installer-files-'));
  savedCache = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = path.join(dir, 'cache');
});
afterEach(() => {
  if (savedCache === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedCache;
  fs.rmSync(dir, { recursive: true, force: true });
});

const VERSION = 'v1.36.4+k3s1';
const online = () => resolveLabConfig({ k3s: { version: VERSION } }).config;
const fetched = (script = '#!/bin/sh\necho install\n', binary = 'k3s binary\n') => {
  const d = fs.mkdtempSync(path.join(dir, 'fetched-'));
  fs.writeFileSync(path.join(d, 'install.sh'), script);
  fs.writeFileSync(path.join(d, 'k3s'), binary, { mode: 0o600 });
  return { installScript: path.join(d, 'install.sh'), binary: path.join(d, 'k3s') };
};

requireTool('sha256sum')('checksums as sha256sum writes and checks them', () => {
  test('"<sha256>  <name>" per line: sha256sum --check accepts them, and rejects a changed file', () => {
    fs.writeFileSync(path.join(dir, 'a'), 'alpha\n');
    fs.writeFileSync(path.join(dir, 'b b'), Buffer.from([0, 1, 2, 255]));
    const text = checksumsFileText({ a: path.join(dir, 'a'), 'b b': path.join(dir, 'b b') });
    expect(text).toBe(execFileSync('sha256sum', ['a', 'b b'], { cwd: dir, encoding: 'utf8', timeout: TOOL_TIMEOUT_MS }));
    fs.writeFileSync(path.join(dir, 'SUMS'), text);
    execFileSync('sha256sum', ['--check', '--quiet', 'SUMS'], { cwd: dir, timeout: TOOL_TIMEOUT_MS });
    fs.writeFileSync(path.join(dir, 'a'), 'beta\n');
    expect(() => execFileSync('sha256sum', ['--check', '--quiet', 'SUMS'], { cwd: dir, stdio: 'ignore', timeout: TOOL_TIMEOUT_MS })).toThrow();
  });
});

describe('the name an images tarball gets on the node keeps the suffix K3s decompresses by', () => {
  // K3s's image import picks the decompression by suffix (pkg/agent/containerd, read at commit 8fed810c, as config/lab-config.ts says).
  test.each([
    ['images.tar', 'k3s-airgap-images.tar'],
    ['k3s-airgap-images-amd64.tar.zst', 'k3s-airgap-images.tar.zst'],
    ['IMAGES.TAR.GZ', 'k3s-airgap-images.tar.gz'],
    ['x.tgz', 'k3s-airgap-images.tgz'],
    ['x.tar.lz4', 'k3s-airgap-images.tar.lz4'],
    ['x.tbz', 'k3s-airgap-images.tbz'],
    ['x.tzst', 'k3s-airgap-images.tzst'],
    ['x.tar.bz2', 'k3s-airgap-images.tar.bz2'],
  ])('%s -> %s', (file, name) => expect(stagedImagesName(file)).toBe(name));
  test('any other file is refused, naming the suffixes K3s imports', () => {
    expect(() => stagedImagesName('images.zip')).toThrow('images.zip: K3s imports only files ending in .tar, .tar.lz4, .tar.bz2, .tbz, .tar.gz, .tgz, .tar.zst, .tzst');
  });
});

describe('ELF programs by architecture (System V ABI: magic 7f "ELF", e_machine at offset 18, little-endian)', () => {
  const elf = (machine: number, length = 64) => {
    const b = Buffer.alloc(64);
    b.write('\x7fELF', 0, 'latin1');
    b.writeUInt16LE(machine, 18);
    const f = path.join(dir, `elf-${machine}-${length}`);
    fs.writeFileSync(f, b.subarray(0, length));
    return f;
  };
  test('EM_X86_64 (62) is amd64, EM_AARCH64 (183) arm64, EM_ARM (40) another CPU', () => {
    expect(elfArch(elf(62))).toBe('amd64');
    expect(elfArch(elf(183))).toBe('arm64');
    expect(elfArch(elf(40))).toBe('other');
  });
  (process.platform === 'linux' ? test : test.skip)('each look closes the file again (no descriptor left open)', () => {
    const f = elf(62);
    const open = () => fs.readdirSync('/proc/self/fd').length;
    const before = open();
    for (let i = 0; i < 20; i++) elfArch(f);
    expect(open()).toBe(before);
  });
  test('a file shorter than the header, or without the magic, is no program', () => {
    expect(elfArch(elf(62, 19))).toBeUndefined();
    expect(elfArch(elf(62, 20))).toBe('amd64');
    const notElf = path.join(dir, 'not-elf');
    fs.writeFileSync(notElf, Buffer.concat([Buffer.from('\x7fELG', 'latin1'), Buffer.alloc(60)]));
    expect(elfArch(notElf)).toBeUndefined();
  });
});

describe("the host's cache of an online install", () => {
  test('empty: an online install; filled once: its files are uploaded, checked against their sums', () => {
    expect(resolveInstallerFiles(online(), labPaths(dir), 'amd64')).toBeUndefined();
    const from = fetched();
    const cache = fillCache(VERSION, 'amd64', from);
    expect(cache).toBe(path.join(dir, 'cache', 'kubelab', 'k3s', VERSION, 'installer-amd64'));
    expect(cache).toBe(k3sInstallerCacheDir(VERSION, 'amd64'));
    expect(fs.readFileSync(path.join(cache, 'k3s'), 'utf8')).toBe('k3s binary\n');
    expect(fs.statSync(path.join(cache, 'k3s')).mode & 0o777).toBe(0o755);
    expect(fs.readFileSync(path.join(cache, 'SHA256SUMS'), 'utf8')).toBe(checksumsFileText({ 'install.sh': from.installScript, k3s: from.binary }));
    expect(resolveInstallerFiles(online(), labPaths(dir), 'amd64')).toEqual({
      installScript: path.join(cache, 'install.sh'),
      binary: path.join(cache, 'k3s'),
      origin: `the host's cache ${cache} (sha256 checked)`,
    });
    expect(resolveInstallerFiles(online(), labPaths(dir), 'arm64')).toBeUndefined();
    expect(fs.readdirSync(path.dirname(cache)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test.each(['install.sh', 'k3s', 'SHA256SUMS'])('a cache without %s: an online install again', (gone) => {
    const cache = fillCache(VERSION, 'amd64', fetched());
    fs.rmSync(path.join(cache, gone));
    expect(resolveInstallerFiles(online(), labPaths(dir), 'amd64')).toBeUndefined();
  });

  test('a damaged cache is refused with the way out', () => {
    const cache = fillCache(VERSION, 'amd64', fetched());
    fs.appendFileSync(path.join(cache, 'k3s'), 'tampered');
    expect(() => resolveInstallerFiles(online(), labPaths(dir), 'amd64')).toThrow(
      `The K3s cache ${cache} does not match its SHA256SUMS (a damaged or edited file); delete the directory and the next online install fills it again.`,
    );
  });

  test('a fill that stopped half-way (its temp dir left behind) does not stop the next one', () => {
    const cache = k3sInstallerCacheDir(VERSION, 'amd64');
    const leftover = `${cache}.${process.pid}.tmp`;
    fs.mkdirSync(path.join(leftover, 'half'), { recursive: true });
    fs.writeFileSync(path.join(leftover, 'half', 'k3s'), 'half');
    expect(fillCache(VERSION, 'amd64', fetched())).toBe(cache);
    expect(fs.existsSync(leftover)).toBe(false);
    expect(resolveInstallerFiles(online(), labPaths(dir), 'amd64')?.binary).toBe(path.join(cache, 'k3s'));
  });

  test('filled again with the same files: left as it is; with other files, or damaged: replaced whole', () => {
    const cache = fillCache(VERSION, 'amd64', fetched());
    const marker = path.join(cache, 'left-alone');
    fs.writeFileSync(marker, '');
    expect(fillCache(VERSION, 'amd64', fetched())).toBe(cache);
    expect(fs.existsSync(marker)).toBe(true);
    fillCache(VERSION, 'amd64', fetched('#!/bin/sh\necho newer\n'));
    expect(fs.existsSync(marker)).toBe(false);
    expect(fs.readFileSync(path.join(cache, 'install.sh'), 'utf8')).toBe('#!/bin/sh\necho newer\n');
    for (const damage of ['k3s', 'install.sh', 'SHA256SUMS']) {
      fs.writeFileSync(marker, '');
      fs.appendFileSync(path.join(cache, damage), 'x');
      fillCache(VERSION, 'amd64', fetched('#!/bin/sh\necho newer\n'));
      expect(fs.existsSync(marker)).toBe(false);
      expect(resolveInstallerFiles(online(), labPaths(dir), 'amd64')?.binary).toBe(path.join(cache, 'k3s'));
    }
    fs.writeFileSync(marker, '');
    fs.rmSync(path.join(cache, 'k3s'));
    fillCache(VERSION, 'amd64', fetched('#!/bin/sh\necho newer\n'));
    expect(fs.existsSync(marker)).toBe(false);
  });
});

describe('local files (k3s.installer.source: local)', () => {
  const local = (installer: object) => resolveLabConfig({ k3s: { version: VERSION, installer: { source: 'local', ...installer } } }).config;
  test('binary, script and images from the project folder; no images when none are set', () => {
    for (const f of ['k3s', 'install.sh', 'images.tar.zst']) fs.writeFileSync(path.join(dir, f), '#!/bin/sh\n');
    expect(resolveInstallerFiles(local({ binary: 'k3s', script: 'install.sh', images: 'images.tar.zst' }), labPaths(dir), 'amd64')).toEqual({
      installScript: path.join(dir, 'install.sh'),
      binary: path.join(dir, 'k3s'),
      images: path.join(dir, 'images.tar.zst'),
      origin: 'local files from k3s.installer (air-gapped install)',
    });
    expect(resolveInstallerFiles(local({ binary: 'k3s', script: 'install.sh' }), labPaths(dir), 'amd64')).not.toHaveProperty('images');
  });
  test.each([
    ['binary', { binary: 'missing-k3s', script: 'install.sh' }],
    ['script', { binary: 'k3s', script: 'missing.sh' }],
    ['images', { binary: 'k3s', script: 'install.sh', images: 'missing.tar' }],
  ])('a missing %s is named, with where it was looked for and where to get it', (key, installer) => {
    for (const f of ['k3s', 'install.sh']) fs.writeFileSync(path.join(dir, f), '#!/bin/sh\n');
    const value = (installer as Record<string, string>)[key];
    expect(() => resolveInstallerFiles(local(installer), labPaths(dir), 'amd64')).toThrow(
      `k3s.installer.${key} = ${JSON.stringify(value)} does not exist (looked at ${path.join(dir, value)}). Download it from https://github.com/k3s-io/k3s/releases/tag/v1.36.4%2Bk3s1 (binary "k3s", checked against sha256sum-amd64.txt; images "k3s-airgap-images-amd64.tar.zst") or https://get.k3s.io (install.sh), or set k3s.installer.source: online.`,
    );
  });
  test('a program for another CPU than arm64 or amd64 is named so', () => {
    const b = Buffer.alloc(64);
    b.write('\x7fELF', 0, 'latin1');
    b.writeUInt16LE(40, 18);
    fs.writeFileSync(path.join(dir, 'k3s'), b);
    fs.writeFileSync(path.join(dir, 'install.sh'), '#!/bin/sh\n');
    expect(() => resolveInstallerFiles(local({ binary: 'k3s', script: 'install.sh' }), labPaths(dir), 'amd64')).toThrow(/^k3s\.installer\.binary = "k3s" is a program for another CPU, but the lab's nodes are amd64 \(the host's own architecture\)/);
  });
});
