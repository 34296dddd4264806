#!/usr/bin/env node
'use strict';
/**
 * Test wrapper around the VBoxManage STAND-IN (../support/vboxmanage-standin.js) for the
 * real-Terraform tests: it ties the stand-in's VMs to the SSH fake nodes that play them.
 * A VM made by `clonevm` is a new disk (VBoxManage manual, clonevm: the clone gets its own
 * differencing image) on which cloud-init makes new SSH host keys at first boot (cloud-init
 * docs, module cc_ssh: "generates host keys" on a new instance). So after a successful
 * clonevm of a node's VM, this wrapper empties that fake node's file system (keeping the
 * test's own install record), gives its sshd a new host key (sshd re-reads its keys on
 * SIGHUP, sshd(8)), and when the VM is the server, empties the stand-in cluster: a new
 * server is a new cluster.
 *
 * KUBELAB_TF_FAKE_NODES: JSON { "<vm name>": { root, sshdDir, clusterDir? } }.
 */
const { spawnSync, execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
const standIn = path.join(__dirname, '..', 'support', 'vboxmanage-standin.js');
const r = spawnSync(process.execPath, [standIn, ...args], { stdio: 'inherit' });
if (r.status === 0 && args[0] === 'clonevm') {
  const vm = args[args.indexOf('--name') + 1];
  const node = JSON.parse(process.env.KUBELAB_TF_FAKE_NODES || '{}')[vm];
  if (node) {
    for (const entry of fs.readdirSync(node.root)) {
      if (entry !== 'install-record.log') fs.rmSync(path.join(node.root, entry), { recursive: true, force: true });
    }
    fs.mkdirSync(path.join(node.root, 'usr', 'local', 'bin'), { recursive: true });
    if (node.clusterDir) {
      for (const entry of ['nodes', 'api-ready']) fs.rmSync(path.join(node.clusterDir, entry), { recursive: true, force: true });
    }
    const key = path.join(node.sshdDir, 'ssh_host_ed25519_key');
    fs.rmSync(key, { force: true });
    fs.rmSync(`${key}.pub`, { force: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    process.kill(Number(fs.readFileSync(path.join(node.sshdDir, 'sshd.pid'), 'utf8')), 'SIGHUP');
  }
}
process.exit(r.status === null ? 1 : r.status);
