import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { LabPaths } from '../../config/paths';
import { NodeRegistries } from '../../config/registries';
import { KubelabError } from '../errors';
import { NodeSession, RemoteCommandError } from '../ssh/client';
import { shQuote } from './node-script';
import { onNode, SUDO } from './remote';

/**
 * Where K3s reads registry mirrors at start (k3s-io/docs docs/installation/private-registry.md
 * at 2936f007: "Upon startup, K3s will check to see if /etc/rancher/k3s/registries.yaml exists";
 * "In order for the registry changes to take effect, you need to restart K3s on each node").
 */
export const NODE_REGISTRIES_FILE = '/etc/rancher/k3s/registries.yaml';

/** The first line of a registries.yaml kubelab wrote: only such a file is replaced or removed. */
export const REGISTRIES_MARK = '# Written by kubelab from the registries: of the lab config; kubelab replaces or removes this file.';

/** Basic-auth credentials of one registry, from a file in `.kubelab/`. */
export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

/** Reads `username:` and `password:` from a credentials file named relative to `.kubelab/`. */
export function readRegistryCredentials(paths: LabPaths, file: string, registry: string): RegistryCredentials {
  const abs = path.join(paths.stateDir, file);
  const field = `registries.configs.${registry}.credentialsFile`;
  if (!fs.existsSync(abs)) {
    throw new KubelabError(`${field} = ${JSON.stringify(file)}: ${abs} does not exist; create it (mode 0600) with two lines, username: <user> and password: <password or access token>`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(fs.readFileSync(abs, 'utf8'));
  } catch (err) {
    throw new KubelabError(`${field} = ${JSON.stringify(file)}: ${abs} is not YAML (${(err as Error).message.split('\n')[0]}); it must hold username: and password:`);
  }
  const { username, password } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw new KubelabError(`${field} = ${JSON.stringify(file)}: ${abs} must hold a non-empty username: and password: (both strings)`);
  }
  return { username, password };
}

/**
 * The registries.yaml every node gets, in K3s's format (`mirrors.<name>.endpoint|rewrite`,
 * `configs.<name>.auth.username|password`, `configs.<name>.tls.insecure_skip_verify`), or
 * undefined when the lab has no registries (config/registries.ts labRegistries). A mirror with
 * no endpoint is an empty entry (`docker.io:`), as K3s's "Embedded Registry Mirror" docs write
 * it. It holds credentials: it goes to the nodes over SSH standard input only, never into
 * Terraform, argv or logs.
 */
export function renderRegistriesYaml(registries: NodeRegistries | undefined, credentials: (file: string, registry: string) => RegistryCredentials): string | undefined {
  if (!registries) return undefined;
  const mirrors = Object.fromEntries(
    Object.entries(registries.mirrors).map(([name, m]) =>
      m.endpoint ? [name, { endpoint: [...m.endpoint], ...(m.rewrite ? { rewrite: { ...m.rewrite } } : {}) }] : [name, null],
    ),
  );
  const configs = Object.fromEntries(
    Object.entries(registries.configs).map(([name, c]) => [
      name,
      {
        ...(c.credentialsFile ? { auth: { ...credentials(c.credentialsFile, name) } } : {}),
        ...(c.insecureSkipVerify !== undefined ? { tls: { insecure_skip_verify: c.insecureSkipVerify } } : {}),
      },
    ]),
  );
  const body = { ...(Object.keys(mirrors).length ? { mirrors } : {}), ...(Object.keys(configs).length ? { configs } : {}) };
  return `${REGISTRIES_MARK}\n${stringifyYaml(body)}`;
}

/** The registries.yaml of this lab, reading credentials from `.kubelab/`. */
export function labRegistriesYaml(registries: NodeRegistries | undefined, paths: LabPaths): string | undefined {
  return renderRegistriesYaml(registries, (file, registry) => readRegistryCredentials(paths, file, registry));
}

/** Exit status of the apply script when the node holds a registries.yaml kubelab did not write. */
export const FOREIGN_REGISTRIES_FILE = 4;

const HEREDOC_END = 'KUBELAB_REGISTRIES_END';

/**
 * Exit status of the apply script when it wrote or removed the file: a K3s that runs reads it
 * only when it starts again, which the step does under the lab-wide lock (cli/k3s/step.ts).
 */
export const REGISTRIES_CHANGED = 5;

/**
 * Bash (run with sudo, fed on standard input) that makes the node's registries.yaml what the
 * lab config says: written mode 0600 when it differs, removed when the config has none and
 * kubelab wrote it, never touching a file kubelab did not write. It never restarts K3s; it
 * exits REGISTRIES_CHANGED when the file changed.
 */
export function renderApplyRegistriesScript(opts: { nodeName: string; content: string | undefined }): string {
  const { nodeName, content } = opts;
  if (content?.split('\n').includes(HEREDOC_END)) throw new KubelabError(`registries: a value holds the line ${HEREDOC_END}, which kubelab cannot pass on`);
  const lines = [
    `set -euo pipefail`,
    `file=${onNode(NODE_REGISTRIES_FILE)}`,
    `mark=${shQuote(REGISTRIES_MARK)}`,
    `ours() { [ -f "$file" ] && [ "$(head -n 1 "$file")" = "$mark" ]; }`,
  ];
  if (content === undefined) {
    lines.push(
      `if ours; then`,
      `  rm -f "$file"`,
      `  echo "kubelab: ${nodeName}: removed the registries.yaml kubelab wrote (the lab config has no registries)"`,
      `  exit ${REGISTRIES_CHANGED}`,
      `fi`,
    );
  } else {
    lines.push(
      `if [ -e "$file" ] && ! ours; then`,
      `  echo "kubelab: ${nodeName}: ${NODE_REGISTRIES_FILE} exists and kubelab did not write it; kubelab leaves it alone. Move it away, or put its settings into registries: of the lab config" >&2`,
      `  exit ${FOREIGN_REGISTRIES_FILE}`,
      `fi`,
      `umask 077`,
      `mkdir -p "$(dirname "$file")"`,
      `cat > "$file.kubelab-new" <<'${HEREDOC_END}'`,
      content.replace(/\n$/, ''),
      HEREDOC_END,
      `if cmp -s "$file.kubelab-new" "$file"; then`,
      `  rm -f "$file.kubelab-new"`,
      `  echo "kubelab: ${nodeName}: registries unchanged"`,
      `else`,
      `  mv "$file.kubelab-new" "$file"`,
      `  echo "kubelab: ${nodeName}: wrote ${NODE_REGISTRIES_FILE} (mode 0600)"`,
      `  exit ${REGISTRIES_CHANGED}`,
      `fi`,
    );
  }
  return [...lines, ``].join('\n');
}

/**
 * Makes the node's registries.yaml match the lab config over an open session (the secrets travel
 * on standard input): what the script said, and whether the file changed.
 */
export async function applyRegistries(session: NodeSession, opts: { nodeName: string; content: string | undefined }): Promise<{ said: string; changed: boolean }> {
  const label = `writing ${NODE_REGISTRIES_FILE}`;
  const r = await session.exec(`${SUDO} bash -s`, { stdin: renderApplyRegistriesScript(opts), label });
  if (r.code !== 0 && r.code !== REGISTRIES_CHANGED) throw new RemoteCommandError(session.target, label, r);
  return { said: r.stdout.trim(), changed: r.code === REGISTRIES_CHANGED };
}
