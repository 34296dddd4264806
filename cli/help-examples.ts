import { Command } from 'commander';

/**
 * One example per verb, shown at the end of its --help. Each runs verbatim on a fresh clone in
 * cmd, PowerShell and sh (npx, double quotes, no placeholders), against the default lab.
 */
export const HELP_EXAMPLES: Readonly<Record<string, string>> = {
  'config show': 'npx kubelab config show',
  'config check': 'npx kubelab config check',
  'network up': 'npx kubelab network up',
  'network down': 'npx kubelab network down',
  'image fetch': 'npx kubelab image fetch',
  'image import': 'npx kubelab image import',
  'image remove': 'npx kubelab image remove',
  'vm create': 'npx kubelab vm create w1 --timeout 20m',
  'vm destroy': 'npx kubelab vm destroy w1',
  'vm start': 'npx kubelab vm start w1',
  'vm stop': 'npx kubelab vm stop w1 --force',
  'vm status': 'npx kubelab vm status w1',
  'snapshot take': 'npx kubelab snapshot take cp1 before-upgrade',
  'snapshot restore': 'npx kubelab snapshot restore cp1 before-upgrade',
  reset: 'npx kubelab reset',
  'seed-iso': 'npx kubelab seed-iso w1 --out w1-seed.iso',
  doctor: 'npx kubelab doctor',
  'k3s server': 'npx kubelab k3s server cp1 --ready-timeout 10m',
  'k3s agent': 'npx kubelab k3s agent w1',
  'k3s uninstall': 'npx kubelab k3s uninstall w2 --ip 192.168.56.12 --role agent --lab kubelab',
  'k3s script': 'npx kubelab k3s script agent w1',
  'k3s images': 'npx kubelab k3s images',
  kubeconfig: 'npx kubelab kubeconfig --merge',
  ssh: 'npx kubelab ssh w1 "sudo journalctl -u k3s-agent -n 50"',
  'ssh-config': 'npx kubelab ssh-config',
  'ssh-forget': 'npx kubelab ssh-forget w1',
  'ssh-key': 'npx kubelab ssh-key',
  verify: 'npx kubelab verify --load --timeout 5m',
  dashboard: 'npx kubelab dashboard --open',
  'load start': 'npx kubelab load start',
  'load stop': 'npx kubelab load stop',
  'load watch': 'npx kubelab load watch --interval 10s',
  status: 'npx kubelab status',
  start: 'npx kubelab start --timeout 15m',
  stop: 'npx kubelab stop',
  kubectl: 'npx kubelab kubectl get nodes -o wide',
  env: 'npx kubelab env --shell powershell',
  'lesson list': 'npx kubelab lesson list --lang ko',
  'lesson start': 'npx kubelab lesson start rollout',
  'lesson check': 'npx kubelab lesson check',
  'lesson hint': 'npx kubelab lesson hint',
  'lesson reset': 'npx kubelab lesson reset rollout',
};

/** Adds each verb's example to its help; a verb without one is a mistake the help test names. */
export function addHelpExamples(root: Command, prefix: string[] = []): void {
  for (const cmd of root.commands) {
    const name = [...prefix, cmd.name()].join(' ');
    const example = HELP_EXAMPLES[name];
    if (example) cmd.addHelpText('after', `\nExample:\n  ${example}`);
    addHelpExamples(cmd, [...prefix, cmd.name()]);
  }
}
