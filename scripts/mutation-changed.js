#!/usr/bin/env node
'use strict';
/*
 * `node scripts/mutation-changed.js [<base commit>]` (run by .ci/run): mutation testing of the
 * gated modules a change touched, and a failure when any of them has less than 90 % of its
 * mutants killed (equivalent mutants are marked in the code with `// Stryker disable` and a
 * reason, and do not count).
 *
 * "The change", without a base given (argument or KUBELAB_MUTATION_BASE): what the last merge
 * on main's first-parent line brought in, and every commit after it (base = that merge's first
 * parent). Branches land on main as merges, so on a fresh CI clone of main that is the last
 * branch merged plus what was fixed on main after it. With no merge in the history: HEAD's own
 * commit. On a branch: `node scripts/mutation-changed.js "$(git merge-base HEAD main)"`.
 *
 * GATED lists the modules whose surviving mutants have all been killed or listed as equivalent
 * (issue 21); a module joins once it reaches 90 %. Changes to other modules are not gated:
 * `npm run test:mutation` reports them, CI does not fail on them.
 */
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const GATED = [
  'cli/k3s/commands.ts',
  'cli/k3s/etcd-member.ts',
  'cli/k3s/installer-files.ts',
  'cli/k3s/machine-records.ts',
  'cli/k3s/node-change-lock.ts',
  'cli/k3s/node-script.ts',
  'cli/k3s/prune.ts',
  'cli/k3s/readiness.ts',
  'cli/k3s/registries.ts',
  'cli/k3s/release-cache.ts',
  'cli/k3s/remote.ts',
  'cli/k3s/service-ready.ts',
  'cli/k3s/ssh-port.ts',
  'cli/k3s/step.ts',
  'cli/k3s/token.ts',
  'cli/k3s/uninstall.ts',
  'cli/kubeconfig/fetch.ts',
  'cli/kubeconfig/lab-kubeconfig.ts',
  'cli/kubeconfig/merge.ts',
  'cli/ssh/host-keys.ts',
  'cli/ssh/keys.ts',
  'cli/state-dir.ts',
  'cli/virtualbox/parse.ts',
  'cli/virtualbox/vm-states.ts',
  'cli/wait-progress.ts',
  'config/cluster-join.ts',
  'config/defaults.ts',
  'config/existing-host.ts',
  'config/ipv4.ts',
  'config/k3s-plan.ts',
  'config/lab-config.ts',
  'config/load.ts',
  'config/paths.ts',
  'config/proxy.ts',
  'config/registries.ts',
  'config/step-spec.ts',
  'config/urls.ts',
  'config/versions.ts',
  'config/write-it-right.ts',
  'constructs/chart-release.ts',
  'constructs/dashboard-admin.ts',
  'constructs/headlamp-dashboard.ts',
  'constructs/host-only-network.ts',
  'constructs/host-preflight.ts',
  'constructs/hpa-demo.ts',
  'constructs/k3s-agent.ts',
  'constructs/k3s-node.ts',
  'constructs/k3s-server.ts',
  'constructs/kubelab-command.ts',
  'constructs/kubernetes-dashboard.ts',
  'constructs/lab-kubeconfig.ts',
  'constructs/lab-namespace.ts',
  'constructs/lab-step.ts',
  'constructs/lab-vm.ts',
  'constructs/metrics-server.ts',
  'constructs/node-machine.ts',
  'constructs/node-prune.ts',
  'constructs/system-namespace.ts',
  'constructs/traefik-ingress-controller.ts',
  'constructs/ubuntu-base-image.ts',
  'constructs/web-route.ts',
  'stacks/cluster-stack.ts',
  'stacks/dashboard-stack.ts',
  'stacks/ingress-stack.ts',
  'stacks/k3s-stack.ts',
  'stacks/lab-stack.ts',
  'stacks/metrics-server-stack.ts',
  'stacks/vms-stack.ts',
  'stacks/workloads-stack.ts',
];
/**
 * Gated modules too big to mutate whole on a change within CI's budget for it (~3 min): only the lines the
 * change wrote are mutated (Stryker's `file:start-end`), and those mutants must be killed. config/load.ts
 * has ~420 mutants (~300 after the type-checker), a whole run 31 min on the loaded 2-core machine;
 * cli/k3s/step.ts 291 tested mutants, 16 min loaded; cli/k3s/node-script.ts ~140, each running bash
 * (config/registries.ts' 59 bash-run mutants took 5.5 min on CI); config/lab-config.ts ~600, most of them static (the schema is
 * built when the module loads, so each runs every related suite): 34 + 29 min loaded for its two halves;
 * config/existing-host.ts, paths.ts and write-it-right.ts together 169 (78 static, each running ~170 tests), 9.6 min at load 3-8.
 */
const BY_CHANGED_LINES = [
  'cli/k3s/node-script.ts',
  'cli/k3s/step.ts',
  'config/existing-host.ts',
  'config/lab-config.ts',
  'config/load.ts',
  'config/paths.ts',
  'config/write-it-right.ts',
];
const BREAK_PERCENT = 90;
/**
 * The Stryker config (and its JSON report) for a module: constructs/ and stacks/ run with the
 * synth suites of stryker.constructs.config.js, the rest with stryker.config.js's unit suites.
 */
const STRYKER_RUNS = [
  { config: 'stryker.constructs.config.js', report: 'reports/mutation/constructs.json', holds: (f) => /^(constructs|stacks)\//.test(f) },
  { config: 'stryker.config.js', report: 'reports/mutation/mutation.json', holds: () => true },
];

const root = path.resolve(__dirname, '..');
const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();

function changeBase() {
  const given = process.argv[2] || process.env.KUBELAB_MUTATION_BASE;
  if (given) return { base: given, why: `the base given (${given})` };
  const lastMerge = git('log', '--first-parent', '--merges', '-1', '--format=%H');
  if (lastMerge) return { base: `${lastMerge}^1`, why: `since the last merge ${lastMerge.slice(0, 12)} (its first parent), HEAD included` };
  try {
    return { base: git('rev-parse', '--verify', '--quiet', 'HEAD~1'), why: "HEAD's own commit (no merge in the history)" };
  } catch {
    return undefined;
  }
}

/**
 * The line ranges (1-based, inclusive) of the new side of `git diff -U0`: each hunk's lines, and for a
 * hunk that only deletes, the two lines around the gap.
 */
function changedLineRanges(diff) {
  const ranges = [];
  for (const m of diff.matchAll(/^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/gm)) {
    const start = Number(m[1]);
    const count = m[2] === undefined ? 1 : Number(m[2]);
    ranges.push(count === 0 ? [Math.max(start, 1), start + 1] : [start, start + count - 1]);
  }
  return ranges;
}

/** Stryker's --mutate entries: whole files, or for BY_CHANGED_LINES files the changed ranges. */
function mutateTargets(files, base) {
  return files.flatMap((f) => {
    if (!BY_CHANGED_LINES.includes(f)) return [f];
    return changedLineRanges(git('diff', '-U0', '--no-color', '--no-ext-diff', base, 'HEAD', '--', f)).map(([a, b]) => `${f}:${a}-${b}`);
  });
}

/** The gated files, grouped by the Stryker run (config and report) that mutates them; runs with none left out. */
function strykerRunsFor(files) {
  return STRYKER_RUNS.map((run) => ({ ...run, files: files.filter((f) => STRYKER_RUNS.find((r) => r.holds(f)) === run) })).filter((run) => run.files.length > 0);
}

if (require.main !== module) {
  module.exports = { GATED, changedLineRanges, strykerRunsFor };
  return;
}

const change = changeBase();
if (!change) {
  console.log('test:mutation: HEAD has no parent to compare with; nothing to mutate');
  process.exit(0);
}
const changed = git('diff', '--name-only', '--diff-filter=AMR', change.base, 'HEAD').split('\n').filter(Boolean);
const files = GATED.filter((f) => changed.includes(f));
const notGated = changed.filter((f) => /^(config|cli|constructs|stacks)\/.*\.ts$/.test(f) && !GATED.includes(f));
console.log(`test:mutation: the change is ${change.why}: ${changed.length} file(s)`);
if (notGated.length) console.log(`test:mutation: not gated yet (npm run test:mutation, or test:mutation:constructs for constructs/ and stacks/, reports them): ${notGated.join(', ')}`);
if (files.length === 0) {
  console.log('test:mutation: no gated module changed; nothing to mutate');
  process.exit(0);
}
console.log(`test:mutation: mutating ${files.join(', ')}`);

// The mutants' tests run as nobody (__tests__/support/drop-root.js): a clone nobody cannot read (a 0700
// folder on the way to it) cannot be mutation-tested safely here. Said, not failed: it is where CI put it.
if (process.getuid?.() === 0) {
  const readable = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', path.join(root, 'package.json')]);
  if (readable.status !== 0) {
    console.log(`test:mutation: SKIPPED: user nobody cannot read ${root} (a folder on the way is not open to other users), and the mutants' tests never run as root`);
    process.exit(0);
  }
}

const counted = { Killed: 'killed', Timeout: 'killed', Survived: 'survived', NoCoverage: 'survived' };
let failed = 0;
for (const run of strykerRunsFor(files)) {
  const runTargets = mutateTargets(run.files, change.base);
  // A fresh incremental file: CI judges the tree as it is, not results kept from an earlier run.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-mutation-'));
  const report = path.join(root, run.report);
  fs.rmSync(report, { force: true });
  console.log(`test:mutation: ${run.config}: ${runTargets.join(', ')}`);
  const r = spawnSync(process.execPath, [path.join(root, '__tests__', 'support', 'in-loopback-netns.js'), 'test:mutation', path.join(root, 'node_modules', '.bin', 'stryker'), 'run', run.config, '--mutate', runTargets.join(',')], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, KUBELAB_STRYKER_INCREMENTAL_FILE: path.join(work, 'incremental.json') },
  });
  fs.rmSync(work, { recursive: true, force: true });
  if (r.status !== 0) {
    console.error(`test:mutation: Stryker failed (exit status ${r.status})`);
    process.exit(1);
  }
  const dirty = git('status', '--porcelain', '--untracked-files=no');
  if (dirty) {
    console.error(`test:mutation: Stryker left changed files behind (it mutates in place):\n${dirty}`);
    process.exit(1);
  }

  if (!fs.existsSync(report)) {
    // Stryker writes no report when the lines given hold no mutant (a comment, an import). A whole
    // module always holds some: no report for one means Stryker did not judge it, which must not pass.
    if (runTargets.every((t) => /:\d+-\d+$/.test(t))) {
      console.log('test:mutation: no mutants in the lines the change wrote; nothing to judge');
      continue;
    }
    console.error(`test:mutation: Stryker wrote no report (${run.report}) for ${runTargets.join(', ')}`);
    process.exit(1);
  }
  for (const [file, { mutants }] of Object.entries(JSON.parse(fs.readFileSync(report, 'utf8')).files)) {
    const n = { killed: 0, survived: 0 };
    for (const m of mutants) if (counted[m.status]) n[counted[m.status]]++;
    const total = n.killed + n.survived;
    const score = total === 0 ? 100 : (100 * n.killed) / total;
    const ok = score >= BREAK_PERCENT;
    if (!ok) failed++;
    console.log(`test:mutation: ${file}: ${score.toFixed(1)} % killed (${n.killed} of ${total}) ${ok ? 'ok' : `FAILS: below ${BREAK_PERCENT} %`}`);
    if (!ok) for (const m of mutants.filter((x) => counted[x.status] === 'survived')) console.log(`    ${m.status} ${file}:${m.location.start.line} ${m.mutatorName}: ${JSON.stringify(m.replacement ?? '')}`);
  }
}
console.log(`mutation: ${files.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
