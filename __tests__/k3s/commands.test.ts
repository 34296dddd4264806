/**
 * The `kubelab k3s …` and `kubelab kubeconfig` verbs (cli/k3s/commands.ts) as a user or Terraform
 * runs them, in this process: what they print, refuse and change. Nothing here reaches a node: the
 * verbs that would log in to one are run without the lab's SSH key, which fails before any connection.
 */
import { Command } from 'commander';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { CliContext } from '../../cli/context';
// Imported here, not only through main: Stryker picks a module's tests with jest's related-test search, which
// follows imports only from files under jest's roots (__tests__), so a module reached through cli/main.ts alone gets none.
import { registerK3sCommands } from '../../cli/k3s/commands';
import { main } from '../../cli/main';
import { hostPlatform, nodeArch } from '../../cli/image/host-arch';
import { startReleaseStandIn } from './release-standin';
import { K3S_STYLE_KUBECONFIG } from './stand-ins';

/** A user's own kubeconfig with one cluster of theirs, as kubectl writes it. */
const USER_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- cluster: {server: 'https://prod.example.com:6443'}
  name: prod
contexts:
- context: {cluster: prod, user: prod-admin}
  name: prod
current-context: prod
users:
- name: prod-admin
  user: {token: not-a-real-token}
`;

/** The lab kubeconfig `kubeconfig --fetch` writes: k3s.yaml with its entries named after the lab (default name "kubelab"). */
const LAB_KUBECONFIG = K3S_STYLE_KUBECONFIG.replace(/\bdefault\b/g, 'kubelab').replace('https://127.0.0.1:6443', 'https://192.168.56.10:6443');

describe('kubelab k3s / kubeconfig verbs', () => {
  let dir: string;
  let project: string;
  let userFile: string;
  let labFile: string;
  const saved = process.env.KUBECONFIG;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-k3s-commands-'));
    project = path.join(dir, 'project');
    fs.mkdirSync(path.join(project, '.kubelab'), { recursive: true, mode: 0o700 });
    userFile = path.join(dir, 'kube', 'config');
    fs.mkdirSync(path.dirname(userFile));
    fs.writeFileSync(userFile, USER_KUBECONFIG, { mode: 0o600 });
    labFile = path.join(project, '.kubelab', 'kubeconfig');
    process.env.KUBECONFIG = userFile;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, project, new CliContext(project, (l) => out.push(l), (l) => err.push(l)));
    return { code, out, err: err.join('\n') };
  };
  /** A verb whose arguments commander refuses: what commander writes to the process's stderr. */
  const refusedByCommander = async (...argv: string[]) => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
    try {
      const r = await run(...argv);
      expect(r.code).not.toBe(0);
      expect(r.out).toEqual([]);
    } finally {
      spy.mockRestore();
    }
    return written.join('');
  };
  const contexts = () => (parse(fs.readFileSync(userFile, 'utf8')) as { contexts: { name: string }[] }).contexts.map((c) => c.name);

  test('kubeconfig alone says where both files are and whether the lab is merged, and changes nothing', async () => {
    expect(await run('kubeconfig')).toEqual({
      code: 0,
      out: [`lab kubeconfig: ${labFile} (not fetched yet: npx kubelab kubeconfig --fetch)`, `your kubeconfig: ${userFile}; lab merged there: no (npx kubelab kubeconfig --merge, or --unmerge)`],
      err: '',
    });
    fs.writeFileSync(labFile, LAB_KUBECONFIG, { mode: 0o600 });
    expect((await run('kubeconfig', '--merge')).code).toBe(0);
    expect((await run('kubeconfig')).out).toEqual([`lab kubeconfig: ${labFile}`, `your kubeconfig: ${userFile}; lab merged there: yes (npx kubelab kubeconfig --merge, or --unmerge)`]);
    expect(fs.readFileSync(labFile, 'utf8')).toBe(LAB_KUBECONFIG);
  });

  test('--merge adds the lab with a backup, a second --merge does nothing; --unmerge takes it out again, a second one does nothing', async () => {
    fs.writeFileSync(labFile, LAB_KUBECONFIG, { mode: 0o600 });
    const merged = await run('kubeconfig', '--merge');
    expect(merged.code).toBe(0);
    expect(merged.out).toEqual([expect.stringMatching(new RegExp(`^kubelab: merged the lab entries into ${userFile} \\(backup: ${userFile}\\.kubelab-backup-\\S+\\)$`))]);
    expect(contexts()).toEqual(['prod', 'kubelab']);
    expect((await run('kubeconfig', '--merge')).out).toEqual([`kubelab: ${userFile} already as wanted; nothing to do`]);
    const unmerged = await run('kubeconfig', '--unmerge');
    expect(unmerged.out).toEqual([expect.stringMatching(new RegExp(`^kubelab: removed the lab entries from ${userFile}( \\(backup: \\S+\\))?$`))]);
    expect(contexts()).toEqual(['prod']);
    expect((await run('kubeconfig', '--unmerge')).out).toEqual([`kubelab: ${userFile} already as wanted; nothing to do`]);
  });

  test('--merge with --unmerge is refused, and the user kubeconfig is left as it was', async () => {
    fs.writeFileSync(labFile, LAB_KUBECONFIG, { mode: 0o600 });
    const r = await run('kubeconfig', '--merge', '--unmerge');
    expect(r.code).toBe(1);
    expect(r.err).toContain('choose one of --merge and --unmerge');
    expect(fs.readFileSync(userFile, 'utf8')).toBe(USER_KUBECONFIG);
  });

  test('--remove (what npm run down runs) needs --lab; with it, takes the lab out of the user kubeconfig it was merged into and deletes the lab kubeconfig', async () => {
    fs.writeFileSync(labFile, LAB_KUBECONFIG, { mode: 0o600 });
    expect((await run('kubeconfig', '--merge')).code).toBe(0);
    const refused = await run('kubeconfig', '--remove');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('kubeconfig --remove needs --lab <lab name>');
    expect(fs.existsSync(labFile)).toBe(true);

    // KUBECONFIG now names another file: the lab goes from the one it was merged into.
    const other = path.join(dir, 'other-config');
    process.env.KUBECONFIG = other;
    const removed = await run('kubeconfig', '--remove', '--lab', 'kubelab');
    expect(removed.code).toBe(0);
    expect(removed.out).toEqual([expect.stringMatching(new RegExp(`^kubelab: removed the lab entries from ${userFile}`)), `kubelab: deleted ${labFile}`]);
    expect(contexts()).toEqual(['prod']);
    expect(fs.existsSync(labFile)).toBe(false);
    expect(fs.existsSync(other)).toBe(false);
    // The record of where it was merged stays (the next fetch merges it back there): a second --remove finds nothing to take out.
    expect(await run('kubeconfig', '--remove', '--lab', 'kubelab')).toEqual({
      code: 0,
      out: [`kubelab: ${userFile} already as wanted; nothing to do`, `kubelab: ${labFile} does not exist; nothing to delete`],
      err: '',
    });
  });

  test('--remove of a lab that was never merged leaves the user kubeconfig alone', async () => {
    fs.writeFileSync(labFile, LAB_KUBECONFIG, { mode: 0o600 });
    expect((await run('k3s', 'kubeconfig', '--remove', '--lab', 'kubelab')).out).toEqual([`kubelab: deleted ${labFile}`]);
    expect(fs.readFileSync(userFile, 'utf8')).toBe(USER_KUBECONFIG);
  });

  test('k3s kubeconfig (what the k3s stack runs) fetches: without the lab SSH key it fails before any connection, saying so', async () => {
    for (const argv of [['k3s', 'kubeconfig'], ['kubeconfig', '--fetch']]) {
      const r = await run(...argv);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/The lab's SSH key .*\.kubelab\/ssh\/id_ed25519 does not exist/);
      expect(r.out.filter((l) => l.startsWith('lab kubeconfig:'))).toEqual([]);
    }
  });

  test('k3s script prints the node script, ending with its last command (no blank line)', async () => {
    const r = await run('k3s', 'script', 'agent', 'w1');
    expect(r.code).toBe(0);
    const text = r.out.join('\n');
    expect(text.split('\n')[0]).toBe('#!/usr/bin/env bash');
    expect(text).toContain('install_args=(agent --node-name w1 --node-ip 192.168.56.11 --flannel-iface enp0s8)');
    expect(text.endsWith('echo "kubelab: installed K3s $version ($service) on w1"')).toBe(true);
  });

  test('every k3s verb, the kubeconfig verb and prune say what they do and what each argument and option is; the ones only Terraform runs stay out of the help', () => {
    const program = new Command('kubelab').enablePositionalOptions();
    registerK3sCommands(program, new CliContext(project, () => undefined, () => undefined));
    const k3s = program.commands.find((c) => c.name() === 'k3s')!;
    const verbs = [k3s, ...k3s.commands, ...program.commands.filter((c) => ['kubeconfig', 'prune'].includes(c.name()))];
    expect(verbs.map((c) => c.name()).sort()).toEqual(['agent', 'images', 'k3s', 'kubeconfig', 'kubeconfig', 'prune', 'script', 'server', 'uninstall']);
    for (const verb of verbs) {
      expect({ verb: verb.name(), description: verb.description() }).toEqual({ verb: verb.name(), description: expect.stringMatching(/\w+ \w+/) });
      for (const a of verb.registeredArguments) expect({ verb: verb.name(), arg: a.name(), description: a.description }).toEqual({ verb: verb.name(), arg: a.name(), description: expect.stringMatching(/\w/) });
      for (const o of verb.options) expect({ verb: verb.name(), option: o.flags, description: o.description }).toEqual({ verb: verb.name(), option: o.flags, description: expect.stringMatching(/\w/) });
    }
    expect(k3s.helpInformation()).not.toMatch(/^ {2}kubeconfig/m);
    expect(k3s.helpInformation()).toMatch(/^ {2}server/m);
    expect(program.helpInformation()).not.toMatch(/^ {2}prune/m);
    expect(program.helpInformation()).toMatch(/^ {2}kubeconfig/m);
  });

  test('k3s script takes the role server or agent, nothing else', async () => {
    expect((await run('k3s', 'script', 'server', 'cp1')).out.join('\n')).toContain('install_args=(server --node-name cp1 ');
    expect(await refusedByCommander('k3s', 'script', 'worker', 'w1')).toMatch(/value 'worker' is invalid for argument 'role'\. Allowed choices are server, agent\./);
  });

  test('k3s server and k3s agent run the step for that role: each stops at its first check here, before any node is reached', async () => {
    // An agent needs the token the server's step makes.
    const agent = await run('k3s', 'agent', 'w1');
    expect(agent.code).toBe(1);
    expect(agent.err).toContain(`The lab token ${path.join(project, '.kubelab', 'k3s-token')} does not exist yet; install the server first: npx kubelab k3s server cp1`);
    expect((await run('k3s', 'agent', 'cp1')).err).toContain('Node cp1 has role server in the lab config; use: npx kubelab k3s server cp1');
    expect((await run('k3s', 'server', 'w1')).err).toContain('Node w1 has role agent in the lab config; use: npx kubelab k3s agent w1');
  });

  test('prune needs exactly one of --server-vm and --server-ssh', async () => {
    const base = ['prune', '--lab', 'kubelab', '--keep', 'cp1+w1', '--server', 'cp1', '--server-ip', '192.168.56.10'];
    for (const extra of [[], ['--server-vm', 'kubelab-cp1', '--server-ssh', 'me:22:id_ed25519']]) {
      const r = await run(...base, ...extra);
      expect(r.code).toBe(1);
      expect(r.err).toContain('prune needs one of --server-vm (a lab of VMs) or --server-ssh (a lab of existing machines)');
    }
  });

  test('k3s uninstall: --server, --server-ip and one of --server-vm/--server-ssh go together', async () => {
    const base = ['k3s', 'uninstall', 'w1', '--ip', '192.168.56.11', '--role', 'agent', '--lab', 'kubelab'];
    expect(await refusedByCommander('k3s', 'uninstall', 'w1', '--ip', '192.168.56.11', '--role', 'worker', '--lab', 'kubelab')).toMatch(/option '--role <role>' argument 'worker' is invalid\. Allowed choices are server, agent/);
    for (const extra of [
      ['--role', 'server', '--server', 'cp1'],
      ['--server', 'cp1'],
      ['--server-ip', '192.168.56.10'],
      ['--server-vm', 'kubelab-cp1'],
      ['--server', 'cp1', '--server-ip', '192.168.56.10'],
      ['--server', 'cp1', '--server-vm', 'kubelab-cp1'],
      ['--server-ip', '192.168.56.10', '--server-ssh', 'me:22:id_ed25519'],
      ['--server', 'cp1', '--server-ip', '192.168.56.10', '--server-vm', 'kubelab-cp1', '--server-ssh', 'me:22:id_ed25519'],
    ]) {
      const r = await run(...base, ...extra);
      expect({ extra, code: r.code }).toEqual({ extra, code: 1 });
      expect(r.err).toContain('--server and --server-ip go together with one of --server-vm or --server-ssh: give all three, or none to use the lab config');
    }
  });

  test('k3s images downloads the release images into this host\'s cache and says where; a host that cannot reach the release gets an error saying to run it again', async () => {
    const saved = { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, KUBELAB_K3S_RELEASE_BASE_URL: process.env.KUBELAB_K3S_RELEASE_BASE_URL };
    // The stand-in serves the amd64 files only (./release-standin.ts).
    const arch = nodeArch(hostPlatform());
    const release = await startReleaseStandIn({ size: 1024 });
    try {
      process.env.XDG_CACHE_HOME = path.join(dir, 'cache');
      process.env.KUBELAB_K3S_RELEASE_BASE_URL = 'http://127.0.0.1:9/';
      const failed = await run('k3s', 'images');
      expect(failed.code).toBe(1);
      expect(failed.err).toContain(
        "the K3s v1.36.4+k3s1 air-gap images are not in this host's cache (see the warning above); run npx kubelab k3s images again once the host reaches the release",
      );
      if (arch !== 'amd64') return;
      process.env.KUBELAB_K3S_RELEASE_BASE_URL = release.baseUrl;
      const r = await run('k3s', 'images');
      expect(r.code).toBe(0);
      expect(r.out[r.out.length - 1]).toBe(`kubelab: K3s v1.36.4+k3s1 air-gap images: ${path.join(dir, 'cache', 'kubelab', 'k3s', 'v1.36.4+k3s1', 'k3s-airgap-images-amd64.tar.zst')}`);
    } finally {
      await release.close();
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
});
