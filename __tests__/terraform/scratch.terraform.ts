import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { TerraformLab } from './terraform-lab';
test('before/after', async () => {
  const lab = new TerraformLab();
  await lab.start();
  const env = (lab as any).env as NodeJS.ProcessEnv;
  const out: string[] = [];
  try {
    for (const [tree, label] of [['/tmp/h17a-old', 'before'], ['/work/h17a', 'after']]) {
      for (const c of ['no-terraform', 'no-virtualbox', 'bad-config']) {
        const p = fs.mkdtempSync(`/tmp/ba-${label}-${c}-`);
        for (const e of ['cli', 'config', 'constructs', 'stacks']) fs.symlinkSync(path.join(tree, e), path.join(p, e));
        fs.symlinkSync('/work/h17a/node_modules', path.join(p, 'node_modules'));
        for (const f of ['main.ts', 'lab.ts', 'cdktf.json', 'package.json', 'tsconfig.json']) fs.copyFileSync(path.join(tree, f), path.join(p, f));
        fs.cpSync(path.join(tree, 'bin'), path.join(p, 'bin'), { recursive: true });
        const nodeDir = path.dirname(process.execPath);
        const vboxDir = env.PATH!.split(':')[0];
        let PATH = env.PATH!;
        if (c === 'no-terraform') PATH = `${vboxDir}:${nodeDir}:/usr/bin:/bin`;
        if (c === 'no-virtualbox') PATH = `${nodeDir}:/usr/local/bin:/usr/bin:/bin`;
        if (c === 'bad-config') fs.writeFileSync(path.join(p, 'kubelab.config.yaml'), 'nodes:\n  - { name: cp1, role: server, ip: 192.168.56.10, memoryMb: 2G }\n');
        const t0 = Date.now();
        const r = spawnSync(process.execPath, [path.join(p, 'bin', 'lab.js'), 'up'], { cwd: p, env: { ...env, PATH }, encoding: 'utf8', timeout: 240_000 });
        const text = `${r.stdout}${r.stderr}`;
        out.push(`===== ${label} ${c}: exit ${r.status}, ${Date.now() - t0} ms, ${text.split('\n').length} lines\n${text}`);
      }
    }
  } finally {
    fs.writeFileSync('/tmp/before-after.txt', out.join('\n'));
    await lab.stop();
  }
}, 900_000);
