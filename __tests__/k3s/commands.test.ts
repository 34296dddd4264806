/**
 * The `kubelab k3s …` and `kubelab kubeconfig` verbs (cli/k3s/commands.ts) as a user or Terraform
 * runs them, in this process: what they print, refuse and change. Nothing here reaches a node: the
 * verbs that would log in to one are run without the lab's SSH key, which fails before any connection.
 */
import { Command } from 'commander';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { CliContext } from '../../cli/context';
import { KubelabError } from '../../cli/errors';
import * as sshPort from '../../cli/k3s/ssh-port';
import * as kubeconfigFetch from '../../cli/kubeconfig/fetch';
import * as client from '../../cli/ssh/client';
import * as labVm from '../../cli/virtualbox/lab-vm';
import * as vboxmanage from '../../cli/virtualbox/vboxmanage';
// Imported here, not only through main: Stryker picks a module's tests with jest's related-test search, which
// follows imports only from files under jest's roots (__tests__), so a module reached through cli/main.ts alone gets none.
import { registerK3sCommands } from '../../cli/k3s/commands';
import { main } from '../../cli/main';
import { hostPlatform, nodeArch } from '../../cli/image/host-arch';
import { hostNode, vmNode } from '../support/lab-shapes';
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
      // Each option says what it is first (a time option's own words, before the duration form it shares with the others).
      for (const o of verb.options) expect({ verb: verb.name(), option: o.flags, description: o.description }).toEqual({ verb: verb.name(), option: o.flags, description: expect.stringMatching(/^\w+ \w+/) });
    }
    // The kubeconfig verb's help names both halves of what it does: fetch from the server, merge into yours.
    const kubeconfig = program.commands.find((c) => c.name() === 'kubeconfig')!;
    expect(kubeconfig.description()).toMatch(/\bfetch\b[^]*\bmerge\b/);
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

  test('the verbs that take a node refuse to run without it, naming the argument', async () => {
    for (const argv of [['k3s', 'server'], ['k3s', 'agent'], ['k3s', 'script', 'agent'], ['k3s', 'uninstall', '--ip', '192.168.56.11', '--role', 'agent', '--lab', 'kubelab']]) {
      expect({ argv, said: await refusedByCommander(...argv) }).toEqual({ argv, said: expect.stringMatching(/missing required argument 'node'/) });
    }
  });

  test('prune reads --keep as node names joined with + (empty parts ignored): with no node to remove, it names the nodes kept', async () => {
    const r = await run('prune', '--lab', 'kubelab', '--keep', 'cp1++w1+', '--server', 'cp1', '--server-ip', '192.168.56.10', '--server-ssh', 'me:22:ssh/id_ed25519');
    expect(r).toEqual({ code: 0, out: ['kubelab: every node of lab kubelab is in its node list (cp1, w1); nothing to prune'], err: '' });
  });

  test('--merge into a user kubeconfig that does not exist yet creates it, with no backup to name', async () => {
    fs.writeFileSync(labFile, LAB_KUBECONFIG, { mode: 0o600 });
    const fresh = path.join(dir, 'kube', 'new-config');
    process.env.KUBECONFIG = fresh;
    expect((await run('kubeconfig', '--merge')).out).toEqual([`kubelab: merged the lab entries into ${fresh}`]);
    expect((parse(fs.readFileSync(fresh, 'utf8')) as { contexts: { name: string }[] }).contexts.map((c) => c.name)).toEqual(['kubelab']);
  });

  test('kubeconfig --fetch says only what the fetch did (no status lines after it); with --merge, it merges what it fetched', async () => {
    // The fetch itself logs in to the server (tested in the kubeconfig suites); here it writes the file as it would.
    const fetched = jest.spyOn(kubeconfigFetch, 'fetchLabKubeconfig').mockImplementation(async (c: CliContext) => {
      fs.writeFileSync(labFile, LAB_KUBECONFIG, { mode: 0o600 });
      c.out('stand-in fetch: wrote the lab kubeconfig');
    });
    try {
      expect(await run('kubeconfig', '--fetch')).toEqual({ code: 0, out: ['stand-in fetch: wrote the lab kubeconfig'], err: '' });
      const both = await run('kubeconfig', '--fetch', '--merge');
      expect(both.out).toEqual(['stand-in fetch: wrote the lab kubeconfig', expect.stringMatching(new RegExp(`^kubelab: merged the lab entries into ${userFile} `))]);
      expect(contexts()).toEqual(['prod', 'kubelab']);
    } finally {
      fetched.mockRestore();
    }
  });

  describe('k3s uninstall: which server drains the node, and how each is reached', () => {
    /** Who the verb probed or logged in to: node, login and address, and the probe's wait. */
    let contacted: string[];
    /** The hosts whose SSH port answers; every login fails with a KubelabError (nothing is reached from here). */
    let answering: Set<string>;
    beforeEach(() => {
      contacted = [];
      answering = new Set();
      jest.spyOn(sshPort, 'answers').mockImplementation(async (t, ms) => (contacted.push(`probe ${t.nodeName} ${t.user}@${t.host}:${t.port} ${ms} ms`), answering.has(t.host)));
      jest.spyOn(client, 'connectToNode').mockImplementation(async (o) => {
        contacted.push(`login ${o.target.nodeName} ${o.target.user}@${o.target.host}:${o.target.port} vm=${o.vmId ?? '-'}`);
        throw new KubelabError('stand-in: no login here');
      });
      // VirtualBox is not here: the VM's id is what `showvminfo` would say (its parsing is tested in the virtualbox suites).
      jest.spyOn(vboxmanage, 'VBoxManage').mockImplementation(() => ({}) as vboxmanage.VBoxManage);
      jest.spyOn(labVm, 'vmInfo').mockImplementation(async (_vb, vm) => (vm === 'kubelab-cp1' ? new Map([['UUID', 'uuid-of-kubelab-cp1']]) : undefined));
    });
    afterEach(() => jest.restoreAllMocks());
    const uninstall = (node: string, ip: string, role: string, ...more: string[]) => run('k3s', 'uninstall', node, '--ip', ip, '--role', role, '--lab', 'kubelab', ...more);
    const writeConfig = (nodes: object[]) => fs.writeFileSync(path.join(project, 'kubelab.config.yaml'), stringify({ nodes }));

    test("an agent leaves through the lab config's first server; --ssh-wait is how long each SSH port may stay silent", async () => {
      const r = await uninstall('w1', '192.168.56.11', 'agent', '--ssh-wait', '3s');
      expect(r.code).toBe(0);
      expect(contacted).toEqual([expect.stringMatching(/^probe cp1 \S+@192\.168\.56\.10:22 3000 ms$/), expect.stringMatching(/^probe w1 \S+@192\.168\.56\.11:22 3000 ms$/)]);
      expect(r.out).toEqual([expect.stringMatching(/^kubelab: the server .*cp1.* does not answer: the cluster is gone, nothing to drain$/), expect.stringMatching(/does not answer on SSH port 22 within 3 s: the VM is gone or stopped; nothing to uninstall$/)]);
    });

    test("the lab's first server leaves with the cluster: no server drains it", async () => {
      const r = await uninstall('cp1', '192.168.56.10', 'server');
      expect(r.code).toBe(0);
      expect(contacted).toEqual([expect.stringMatching(/^probe cp1 \S+@192\.168\.56\.10:22 10000 ms$/)]);
    });

    test('an existing machine (--ssh) is reached with its own login, and its server with the login the lab config gives it', async () => {
      writeConfig([hostNode('pi1', 'server', '10.20.0.11', { user: 'pi', port: 2201 }), hostNode('pi2', 'agent', '10.20.0.12')]);
      const r = await uninstall('pi2', '10.20.0.12', 'agent', '--ssh', 'me:2222:ssh/pi-key');
      expect(r.code).toBe(0);
      expect(contacted).toEqual(['probe pi1 pi@10.20.0.11:2201 10000 ms', 'probe pi2 me@10.20.0.12:2222 10000 ms']);
      expect(r.out[1]).toMatch(/the existing machine pi2 is off or unreachable, so K3s stays there; remove it there with sudo /);
    });

    test('a lab config that does not load: the node is not drained, and the verb says so and goes on', async () => {
      fs.writeFileSync(path.join(project, 'kubelab.config.yaml'), 'nodes: 5\n');
      const r = await uninstall('w1', '192.168.56.11', 'agent');
      expect(r.code).toBe(0);
      expect(r.out[0]).toBe('kubelab: the server is not known (no --server, and no lab config to read it from), so w1 is not drained');
      expect(contacted).toEqual([expect.stringMatching(/^probe w1 /)]);
    });

    test("Terraform's --server, --server-ip and --server-vm: the server is logged in to as that VM (its VirtualBox id); with --server-ssh, with that login", async () => {
      writeConfig([vmNode('cp9', 'server', 90), vmNode('w1', 'agent', 11)]);
      answering.add('192.168.56.10');
      const vm = await uninstall('w1', '192.168.56.11', 'agent', '--server', 'cp1', '--server-ip', '192.168.56.10', '--server-vm', 'kubelab-cp1');
      expect({ code: vm.code, err: vm.err }).toEqual({ code: 0, err: '' });
      expect(contacted).toEqual([expect.stringMatching(/^probe cp1 \S+@192\.168\.56\.10:22 /), expect.stringMatching(/^login cp1 \S+@192\.168\.56\.10:22 vm=uuid-of-kubelab-cp1$/), expect.stringMatching(/^probe w1 /)]);
      expect(vm.out[0]).toBe('kubelab: cannot log in to the server (stand-in: no login here); w1 is not drained');
      contacted = [];
      const ssh = await uninstall('w1', '192.168.56.11', 'agent', '--server', 'cp1', '--server-ip', '192.168.56.10', '--server-ssh', 'admin:2200:ssh/cp1-key');
      expect(ssh.code).toBe(0);
      expect(contacted).toEqual(['probe cp1 admin@192.168.56.10:2200 10000 ms', 'login cp1 admin@192.168.56.10:2200 vm=-', expect.stringMatching(/^probe w1 /)]);
    });
  });
});
