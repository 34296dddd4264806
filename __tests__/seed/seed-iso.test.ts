import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { resolveLabConfig } from '../../config/load';
import { findNode } from '../../config/lab-config';
import { labPaths } from '../../config/paths';
import { nodeSeedFiles } from '../../cli/seed/cloud-init';
import { primaryName, writeIso9660 } from '../../cli/seed/iso9660';
import { seedIsoImage, writeNodeSeedIso } from '../../cli/seed/seed-iso';
import { requireTool } from '../support/tools';
import { TOOL_TIMEOUT_MS } from '../support/tools';

const cfg = resolveLabConfig({}).config;
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKexamplekeyexamplekeyexamplekeyexampleke kubelab';
const files = nodeSeedFiles(cfg, findNode(cfg, 'cp1'), KEY);

let dir: string;
let iso: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-seed-'));
  iso = path.join(dir, 'seed.iso');
  fs.writeFileSync(iso, seedIsoImage(files));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('seed files', () => {
  test('user-data: hostname, the kubelab user with the key and passwordless sudo, no password login', () => {
    expect(files.userData.startsWith('#cloud-config\n')).toBe(true);
    const u = parse(files.userData);
    expect(u.hostname).toBe('cp1');
    expect(u.ssh_pwauth).toBe(false);
    expect(u.users).toEqual([
      expect.objectContaining({ name: 'kubelab', sudo: 'ALL=(ALL) NOPASSWD:ALL', lock_passwd: true, ssh_authorized_keys: [KEY] }),
    ]);
  });

  test('network-config v2: enp0s3 DHCP (NAT), enp0s8 the static host-only address', () => {
    expect(parse(files.networkConfig)).toEqual({
      version: 2,
      ethernets: { enp0s3: { dhcp4: true }, enp0s8: { dhcp4: false, addresses: ['192.168.56.10/24'] } },
    });
    expect(parse(files.metaData)).toEqual({ 'instance-id': 'kubelab-cp1', 'local-hostname': 'cp1' });
  });

  test('with the VM\'s MAC addresses, each NIC is matched by its MAC and given the name the K3s flags use (names differ per chipset)', () => {
    const byMac = nodeSeedFiles(cfg, findNode(cfg, 'cp1'), KEY, { nat: '080027AABB01', hostOnly: '080027aabb02' });
    expect(parse(byMac.networkConfig)).toEqual({
      version: 2,
      ethernets: {
        enp0s3: { match: { macaddress: '08:00:27:aa:bb:01' }, 'set-name': 'enp0s3', dhcp4: true },
        enp0s8: { match: { macaddress: '08:00:27:aa:bb:02' }, 'set-name': 'enp0s8', dhcp4: false, addresses: ['192.168.56.10/24'] },
      },
    });
    expect(() => nodeSeedFiles(cfg, findNode(cfg, 'cp1'), KEY, { nat: '080027AABB', hostOnly: '080027aabb02' })).toThrow('"080027AABB" is not a MAC address (12 hex digits)');
  });

  test('rejects a public key that is not an OpenSSH line', () => {
    expect(() => nodeSeedFiles(cfg, findNode(cfg, 'cp1'), '-----BEGIN OPENSSH PRIVATE KEY-----')).toThrow(/not an OpenSSH public key/);
  });
});

describe('ISO writer', () => {
  test('8.3 names as genisoimage maps them', () => {
    expect(primaryName('user-data')).toBe('USER_DAT.;1');
    expect(primaryName('network-config')).toBe('NETWORK_.;1');
    expect(primaryName('a.conf')).toBe('A.CON;1');
  });

  test('same input, same bytes; sizes are whole sectors', () => {
    const a = seedIsoImage(files);
    expect(a.equals(seedIsoImage(files))).toBe(true);
    expect(a.length % 2048).toBe(0);
    expect(a.subarray(16 * 2048 + 1, 16 * 2048 + 6).toString()).toBe('CD001');
  });

  test('refuses names that collide in 8.3 form and bad labels', () => {
    const content = Buffer.from('x');
    expect(() => writeIso9660({ volumeId: 'cidata', files: [{ name: 'user-data1', content }, { name: 'user-data2', content }] })).toThrow(/same ISO 9660 name/);
    expect(() => writeIso9660({ volumeId: 'a-label-longer-than-16', files: [{ name: 'x', content }] })).toThrow(/1 to 16/);
  });

  test('writeNodeSeedIso creates the lab key on first use and writes the seed', () => {
    const paths = labPaths(dir);
    const out = writeNodeSeedIso(cfg, findNode(cfg, 'w1'), paths);
    expect(out).toBe(path.join(dir, '.kubelab', 'seeds', 'w1.iso'));
    const key = fs.readFileSync(paths.sshPublicKey, 'utf8').trim();
    expect(fs.readFileSync(out).equals(seedIsoImage(nodeSeedFiles(cfg, findNode(cfg, 'w1'), key)))).toBe(true);
  });
});

requireTool('isoinfo')('the seed read by isoinfo (genisoimage)', () => {
  const isoinfo = (...args: string[]) => execFileSync('isoinfo', [...args, '-i', iso], { timeout: TOOL_TIMEOUT_MS }).toString();

  test('volume label cidata, Joliet present', () => {
    const d = isoinfo('-d');
    expect(d).toMatch(/^Volume id: cidata$/m);
    expect(d).toMatch(/Joliet with UCS level 3 found/);
  });

  test('Joliet listing holds exactly the three files', () => {
    const names = [...isoinfo('-J', '-l').matchAll(/\s(\S+)\s*$/gm)].map((m) => m[1]).filter((n) => !['.', '..', '/'].includes(n) && !n.endsWith(':'));
    expect(names.sort()).toEqual(['meta-data', 'network-config', 'user-data']);
  });

  test.each([
    ['/user-data', files.userData],
    ['/meta-data', files.metaData],
    ['/network-config', files.networkConfig],
  ])('%s extracts byte for byte', (name, expected) => {
    expect(execFileSync('isoinfo', ['-J', '-x', name, '-i', iso], { timeout: TOOL_TIMEOUT_MS }).toString()).toBe(expected);
  });
});

requireTool('xorriso')('the seed read by xorriso', () => {
  test('lists and extracts the three files', () => {
    const out = path.join(dir, 'xorriso-out');
    execFileSync('xorriso', ['-indev', iso, '-osirrox', 'on', '-extract', '/', out], { stdio: 'pipe', timeout: TOOL_TIMEOUT_MS });
    expect(fs.readdirSync(out).sort()).toEqual(['meta-data', 'network-config', 'user-data']);
    expect(fs.readFileSync(path.join(out, 'user-data'), 'utf8')).toBe(files.userData);
    expect(fs.readFileSync(path.join(out, 'network-config'), 'utf8')).toBe(files.networkConfig);
    const pvd = execFileSync('xorriso', ['-indev', iso, '-pvd_info'], { stdio: 'pipe', timeout: TOOL_TIMEOUT_MS }).toString();
    expect(pvd).toMatch(/Volume Id\s*:\s*cidata/);
  });
});

requireTool('cloud-init')('user-data checked by cloud-init', () => {
  test('cloud-init schema accepts it', () => {
    const file = path.join(dir, 'user-data');
    fs.writeFileSync(file, files.userData);
    const out = execFileSync('cloud-init', ['schema', '--config-file', file], { stdio: 'pipe', timeout: TOOL_TIMEOUT_MS }).toString();
    expect(out).toMatch(/Valid cloud-config/);
  });
});
