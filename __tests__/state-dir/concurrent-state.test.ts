import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { utils } from 'ssh2';
import { readStepTimeline, resetStepTimeline } from '../../cli/deploy/step-timeline';
import { labKubeconfigFromK3s } from '../../cli/kubeconfig/lab-kubeconfig';
import { labPaths } from '../../config/paths';
import { K3S_STYLE_KUBECONFIG } from '../k3s/stand-ins';
import { RaceResult, Racers, bufferArg } from '../support/racers';

// Terraform runs independent steps at the same moment, each a separate `node bin/kubelab.js …`
// process: on a first deploy the three `vm create` steps each write their node's seed (and so make
// the lab key pair), the agents' K3s steps each pin their node's host key, and so on. Each test
// here starts several first-time operations of one kind at the same moment in separate OS
// processes, on a fresh state dir, many times over, and checks what they leave behind.

const RACERS = 3;
// More trials for a failure rate: KUBELAB_RACE_TRIALS=100 npx jest __tests__/state-dir/concurrent-state.test.ts
const TRIALS = Number(process.env.KUBELAB_RACE_TRIALS) || 12;
let racers: Racers;
let work: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-race-'));
  racers = new Racers(RACERS);
  await racers.preload(['cli/main.ts', 'cli/context.ts', 'cli/ssh/host-keys.ts', 'cli/k3s/token.ts', 'cli/kubeconfig/merge.ts', 'cli/k3s/installer-files.ts', 'cli/deploy/step-timeline.ts']);
}, 60_000);
afterAll(() => {
  racers?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const freshProject = (trial: number) => fs.mkdtempSync(path.join(work, `t${trial}-`));
const failures = (results: RaceResult[]) => results.filter((r) => r.code !== 0).map((r) => [...r.out, ...r.err].join('\n'));
/** The OpenSSH public key line's key part ("ssh-ed25519 AAAA…"), without the comment. */
const keyPart = (line: string) => line.trim().split(/\s+/).slice(0, 2).join(' ');

test(`three first-time seed-iso at once: every seed lets the lab's one private key in (${TRIALS} trials)`, async () => {
  const nodes = ['cp1', 'w1', 'w2'];
  const wrong: string[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const projectDir = freshProject(trial);
    const results = await racers.race(nodes.map((node) => ({ cli: { argv: ['seed-iso', node], projectDir } })));
    expect(failures(results)).toEqual([]);
    const paths = labPaths(projectDir);
    const privateKey = utils.parseKey(fs.readFileSync(paths.sshPrivateKey));
    if (privateKey instanceof Error) throw privateKey;
    const holds = `${privateKey.type} ${privateKey.getPublicSSH().toString('base64')}`;
    const publicKey = keyPart(fs.readFileSync(paths.sshPublicKey, 'utf8'));
    if (publicKey !== holds) wrong.push(`trial ${trial}: ${paths.sshPublicKey} holds ${publicKey}, the private key is ${holds}`);
    for (const node of nodes) {
      // The seed holds user-data as plain bytes; its one authorized key (a YAML scalar, folded over lines) is the lab's public key.
      const iso = fs.readFileSync(path.join(paths.seedsDir, `${node}.iso`)).toString('latin1');
      const found = /ssh-ed25519\s+([A-Za-z0-9+/=]+)/.exec(iso);
      const seedKey = found && `ssh-ed25519 ${found[1]}`;
      if (seedKey !== holds) wrong.push(`trial ${trial}: ${node}'s seed authorizes ${seedKey}, the private key is ${holds}`);
    }
  }
  expect({ trialsWithAWrongKey: new Set(wrong.map((w) => w.split(':')[0])).size, wrong }).toEqual({ trialsWithAWrongKey: 0, wrong: [] });
}, 120_000);

test(`three first-time K3s tokens at once: one token, the one on disk (${TRIALS} trials)`, async () => {
  for (let trial = 0; trial < TRIALS; trial++) {
    const paths = labPaths(freshProject(trial));
    const results = await racers.race(Array.from({ length: RACERS }, () => ({ call: { module: 'cli/k3s/token.ts', fn: 'ensureK3sToken', args: [paths] } })));
    expect(failures(results)).toEqual([]);
    const onDisk = fs.readFileSync(paths.k3sToken, 'utf8').trim();
    expect(results.map((r) => r.value)).toEqual(Array(RACERS).fill(onDisk));
  }
}, 60_000);

/** A host key blob in SSH wire format: string "ssh-ed25519", string <32 bytes>. */
function hostKeyBlob(): Buffer {
  const type = Buffer.from('ssh-ed25519');
  const len = (n: number) => Buffer.from([0, 0, 0, n]);
  return Buffer.concat([len(type.length), type, len(32), randomBytes(32)]);
}

test(`three nodes pinned at once: every pin is kept, in both known_hosts files (${TRIALS} trials)`, async () => {
  for (let trial = 0; trial < TRIALS; trial++) {
    const paths = labPaths(freshProject(trial));
    const nodes = ['cp1', 'w1', 'w2'].map((nodeName, i) => ({ target: { nodeName, host: `127.0.0.${i + 1}`, port: 22, user: 'kubelab' }, blob: hostKeyBlob() }));
    const results = await racers.race(
      nodes.map((n) => ({ call: { module: 'cli/ssh/host-keys.ts', fn: 'verifyHostKey', args: [paths, n.target, bufferArg(n.blob)] } })),
    );
    expect(failures(results)).toEqual([]);
    const pins = JSON.parse(fs.readFileSync(paths.knownHosts, 'utf8'));
    expect(Object.keys(pins).sort()).toEqual(['cp1', 'w1', 'w2']);
    const openSsh = fs.readFileSync(path.join(path.dirname(paths.knownHosts), 'known_hosts'), 'utf8');
    for (const n of nodes) expect(openSsh).toContain(`${n.target.host} ssh-ed25519 ${n.blob.toString('base64')}`);
  }
}, 60_000);

test(`three labs merged into one user kubeconfig at once: every lab's entries are kept (${TRIALS} trials)`, async () => {
  for (let trial = 0; trial < TRIALS; trial++) {
    const userFile = path.join(freshProject(trial), 'kube', 'config');
    const labs = ['lab-a', 'lab-b', 'lab-c'].map((name, i) => {
      const paths = labPaths(freshProject(trial));
      fs.mkdirSync(paths.stateDir, { recursive: true });
      fs.writeFileSync(paths.kubeconfig, labKubeconfigFromK3s(K3S_STYLE_KUBECONFIG, { name, serverUrl: `https://127.0.0.${i + 1}:6443` }));
      return { name, paths };
    });
    const results = await racers.race(labs.map((l) => ({ call: { module: 'cli/kubeconfig/merge.ts', fn: 'mergeLabIntoUserKubeconfig', args: [l.paths, l.name, userFile] } })));
    expect(failures(results)).toEqual([]);
    const merged = parse(fs.readFileSync(userFile, 'utf8'));
    for (const section of ['clusters', 'contexts', 'users']) {
      expect(merged[section].map((e: { name: string }) => e.name).sort()).toEqual(['lab-a', 'lab-b', 'lab-c']);
    }
    for (const l of labs) expect(JSON.parse(fs.readFileSync(path.join(l.paths.stateDir, 'kubeconfig-merged.json'), 'utf8')).file).toBe(userFile);
  }
}, 60_000);

test(`three agents cache the same K3s download at once: every one succeeds and the cache checks out (${TRIALS} trials)`, async () => {
  const fetched = path.join(work, 'fetched');
  fs.mkdirSync(fetched, { recursive: true });
  const installScript = path.join(fetched, 'install.sh');
  const binary = path.join(fetched, 'k3s');
  fs.writeFileSync(installScript, '#!/bin/sh\necho install\n');
  fs.writeFileSync(binary, randomBytes(1 << 16));
  for (let trial = 0; trial < TRIALS; trial++) {
    // The host's cache (per user): here one per trial.
    const env = { XDG_CACHE_HOME: path.join(freshProject(trial), 'host-cache') };
    const results = await racers.race(
      Array.from({ length: RACERS }, () => ({ call: { module: 'cli/k3s/installer-files.ts', fn: 'fillCache', args: ['v1.36.4+k3s1', 'amd64', { installScript, binary }, env] } })),
    );
    expect(failures(results)).toEqual([]);
    const dir = results[0].value as string;
    expect(fs.readFileSync(path.join(dir, 'k3s')).equals(fs.readFileSync(binary))).toBe(true);
    expect(fs.readdirSync(path.dirname(dir)).filter((f) => f.includes('.tmp'))).toEqual([]);
  }
}, 60_000);

test(`three steps record their time and downloads in the stand-up timeline at once: every record is read back whole (${TRIALS} trials)`, async () => {
  // Lines longer than a pipe's atomic write (4096 bytes): many downloads each.
  const downloads = (racer: number) => Array.from({ length: 60 }, (_, i) => ({ artifact: `artifact-${racer}-${i}.tar.zst`, bytes: 1_000_000 + i, by: 'host' }));
  for (let trial = 0; trial < TRIALS; trial++) {
    const file = path.join(labPaths(freshProject(trial)).stateDir, 'deploy-steps.jsonl');
    resetStepTimeline(file); // as npm run up does before Terraform starts the steps
    const results = await racers.race(
      Array.from({ length: RACERS }, (_, i) => ({
        call: { module: 'cli/deploy/step-timeline.ts', fn: 'appendStepRecord', args: [file, { step: 'k3s agent', node: `w${i}`, startedMs: 1, seconds: 2, exitCode: 0, downloads: downloads(i) }] },
      })),
    );
    expect(failures(results)).toEqual([]);
    const records = readStepTimeline(file);
    expect(records.map((r) => r.node).sort()).toEqual(['w0', 'w1', 'w2']);
    for (const r of records) expect(r.downloads).toEqual(downloads(Number(r.node!.slice(1))));
  }
}, 60_000);

test(`three processes update one JSON file under the state lock at once: no update is lost (${TRIALS} trials)`, async () => {
  for (let trial = 0; trial < TRIALS; trial++) {
    const file = path.join(labPaths(freshProject(trial)).stateDir, 'records.json');
    const results = await racers.race(
      Array.from({ length: RACERS }, (_, i) => ({ call: { module: '__tests__/support/race-jobs.ts', fn: 'appendRecord', args: [file, { racer: i }] } })),
    );
    expect(failures(results)).toEqual([]);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).map((r: { racer: number }) => r.racer).sort()).toEqual([0, 1, 2]);
  }
}, 60_000);

test(`three lessons' progress updated at once: every lesson's record is kept (${TRIALS} trials)`, async () => {
  for (let trial = 0; trial < TRIALS; trial++) {
    const paths = labPaths(freshProject(trial));
    const lessons = ['pods-on-nodes', 'rollout', 'storage'];
    const results = await racers.race(lessons.map((id) => ({ call: { module: '__tests__/support/race-jobs.ts', fn: 'showLessonHint', args: [paths, id] } })));
    expect(failures(results)).toEqual([]);
    const progress = JSON.parse(fs.readFileSync(path.join(paths.stateDir, 'lesson-progress.json'), 'utf8'));
    expect(Object.keys(progress.lessons).sort()).toEqual(lessons);
  }
}, 60_000);
