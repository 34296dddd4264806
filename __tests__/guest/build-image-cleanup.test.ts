/**
 * The test-guest image builds (build-image.sh, build-image-arm64.sh) mount proc and sys inside the
 * guest's root while debootstrap runs. An interrupted build must leave nothing mounted on this
 * machine, and removing a build folder must never descend into a mount (rm -r of a bind-mounted
 * /dev would empty the host's). A stand-in debootstrap on PATH mounts what the real one does
 * (proc, and a tmpfs /dev as its setup_devices_bind does) and then waits, so the builds can be
 * interrupted mid-debootstrap without a network.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const GUEST = path.resolve(__dirname);
const LIB = path.join(GUEST, 'build-image-lib.sh');

function canMount(): boolean {
  return process.getuid?.() === 0 && spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status === 0 && spawnSync('sh', ['-c', 'command -v findmnt setsid']).status === 0;
}
const reason = 'needs root, unshare --mount, findmnt and setsid (util-linux)';
if (!canMount() && process.env.KUBELAB_REQUIRE_TOOLS === '1') throw new Error(`KUBELAB_REQUIRE_TOOLS=1 but this test ${reason}`);
if (!canMount()) console.warn(`SKIPPED: image build cleanup: ${reason}`);
const describeIfMount = canMount() ? describe : describe.skip;

/** Mount points at or below dir as this machine's own mount namespace sees them. */
function mountsBelow(dir: string): string[] {
  return execFileSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' })
    .split('\n')
    .filter((t) => t === dir || t.startsWith(`${dir}/`));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('Z');
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.on('exit', (code) => resolve(code)));

describeIfMount('test-guest image builds leave nothing mounted', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-build-cleanup-')));
  });
  afterEach(() => {
    for (const m of mountsBelow(tmp).sort().reverse()) spawnSync('umount', ['-l', m]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Runs a bash snippet with build-image-lib.sh sourced, in a mount namespace of its own. */
  const withLib = (script: string) =>
    spawnSync('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', `set -euo pipefail; . "${LIB}"; ${script}`], { encoding: 'utf8', cwd: tmp });

  test('guest_remove_tree unmounts proc, sys and a /dev below the folder, then removes it', () => {
    const r = withLib(`
      mkdir -p d/root/proc d/root/sys d/root/dev
      mount -t proc proc d/root/proc; mount -t sysfs sysfs d/root/sys; mount -t tmpfs tmpfs d/root/dev
      touch d/root/dev/null-stand-in
      guest_remove_tree d
      echo "left: $(guest_mounts_below "$PWD/d" | wc -l)"; test ! -e d && echo removed`);
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: 'left: 0\nremoved\n', stderr: '' });
  });

  test('guest_remove_tree refuses, keeping everything, while a mount below the folder cannot be unmounted', () => {
    const r = withLib(`
      mkdir -p d/root/dev && mount -t tmpfs tmpfs d/root/dev && touch d/root/dev/keep d/outside
      (cd d/root/dev && exec sleep 30) & busy=$!
      sleep 0.2
      status=0; guest_remove_tree d || status=$?
      echo "status $status"; ls d/root/dev d
      kill $busy`);
    expect(r.stdout).toBe('status 1\nd:\noutside\nroot\n\nd/root/dev:\nkeep\n');
    expect(r.stderr).toContain(`umount: ${tmp}/d/root/dev: target is busy`);
    expect(r.stderr).toContain(`build-image: not removing ${tmp}/d: still mounted below it: ${tmp}/d/root/dev\n`);
  });

  test('guest_root_disk writes nothing on stdout, which carries only the result folder to run.sh', () => {
    const r = withLib(`root=$PWD/root; mkdir -p root/etc && echo test >root/etc/hostname && guest_root_disk "$PWD/disk.raw" && test -s disk.raw`);
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: '' });
  });

  describe.each([['build-image.sh'], ['build-image-arm64.sh']])('%s interrupted in debootstrap', (recipe) => {
    let bin: string;
    let marker: string;
    let build: ChildProcess;
    const fakeDebootstrap = (): { root: string; pid: number } => {
      const [root, pid] = fs.readFileSync(marker, 'utf8').trim().split(' ');
      return { root, pid: Number(pid) };
    };

    beforeEach(async () => {
      bin = path.join(tmp, 'bin');
      marker = path.join(tmp, 'debootstrap-mounted');
      fs.mkdirSync(bin);
      fs.mkdirSync(path.join(tmp, 'cache'));
      // Mounts as debootstrap's setup_proc / setup_devices_bind do (debootstrap 1.0.128, functions), then waits.
      fs.writeFileSync(
        path.join(bin, 'debootstrap'),
        `#!/bin/sh
for a; do case "$a" in -*|trixie) ;; *) [ -n "$target" ] || target=$a ;; esac; done
mkdir -p "$target/proc" "$target/dev"
mount -t proc proc "$target/proc"
mount -t tmpfs nodev "$target/dev"
echo "$target $$" > "${marker}.tmp" && mv "${marker}.tmp" "${marker}"
exec sleep 600
`,
        { mode: 0o755 },
      );
      // binfmt_misc is the machine's own: the arm64 recipe only checks that qemu-aarch64 is registered.
      fs.writeFileSync(path.join(bin, 'update-binfmts'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      build = spawn('bash', [path.join(GUEST, recipe), path.join(tmp, 'cache')], {
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
        stdio: 'ignore',
      });
      await until('the stand-in debootstrap to mount proc and /dev', () => fs.existsSync(marker));
    });
    afterEach(() => {
      if (build.exitCode === null && build.signalCode === null) build.kill('SIGKILL');
      if (fs.existsSync(marker) && alive(fakeDebootstrap().pid)) process.kill(fakeDebootstrap().pid, 'SIGKILL');
    });

    test('nothing it mounts is ever visible on this machine', () => {
      const { root } = fakeDebootstrap();
      expect(fs.existsSync(path.join(root, 'proc'))).toBe(true);
      expect(mountsBelow(tmp)).toEqual([]);
    });

    test('SIGTERM stops debootstrap at once and removes the build folder', async () => {
      const { root, pid } = fakeDebootstrap();
      build.kill('SIGTERM');
      expect(await exited(build)).toBe(143);
      expect(alive(pid)).toBe(false);
      expect(fs.existsSync(path.dirname(root))).toBe(false);
      expect(fs.readdirSync(path.join(tmp, 'cache'))).toEqual([]);
    });

    test('after SIGKILL of the build, nothing stays mounted here and the leftover folder can be removed', async () => {
      const { root, pid } = fakeDebootstrap();
      build.kill('SIGKILL');
      await exited(build);
      expect(mountsBelow(tmp)).toEqual([]);
      process.kill(pid, 'SIGKILL');
      await until('the stand-in debootstrap to end', () => !alive(pid));
      const r = spawnSync('bash', ['-c', `. "${LIB}"; guest_remove_tree "$1" && echo removed`, 'bash', path.dirname(root)], { encoding: 'utf8' });
      expect({ stdout: r.stdout, stderr: r.stderr }).toEqual({ stdout: 'removed\n', stderr: '' });
    });
  });
});
