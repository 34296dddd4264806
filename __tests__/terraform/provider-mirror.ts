import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const PROVIDER_STANDIN = path.join(__dirname, 'null-provider-standin', 'null-provider-standin.js');

/** A provider the mirror serves: its type under hashicorp/ and the version the @cdktf/provider-* package pins. */
export interface MirroredProvider {
  readonly type: 'null' | 'kubernetes' | 'helm';
  readonly version: string;
}

/** The versions @cdktf/provider-null 11.0.1, -kubernetes 12.1.1 and -helm 12.1.2 pin (their package.json cdktf.provider.version). */
export const NULL_PROVIDER: MirroredProvider = { type: 'null', version: '3.2.4' };
export const KUBERNETES_PROVIDER: MirroredProvider = { type: 'kubernetes', version: '2.38.0' };
export const HELM_PROVIDER: MirroredProvider = { type: 'helm', version: '3.1.1' };

/**
 * A Terraform CLI config whose only provider source is a filesystem mirror (unpacked
 * layout: <host>/<namespace>/<type>/<version>/<os>_<arch>/terraform-provider-<type>_…)
 * holding the provider stand-in (null-provider-standin.js; as kubernetes or helm it serves
 * a provider without resources). The providers' host name is asked of terraform itself
 * (`terraform providers` prints provider[<host>/hashicorp/null]), not written here.
 * Returns the config file's path, for TF_CLI_CONFIG_FILE.
 */
export function writeProviderMirror(root: string, providers: readonly MirroredProvider[] = [NULL_PROVIDER]): string {
  const probe = path.join(root, 'provider-probe');
  fs.mkdirSync(probe);
  fs.writeFileSync(path.join(probe, 'main.tf.json'), JSON.stringify({ terraform: { required_providers: { null: { source: 'hashicorp/null' } } } }));
  const emptyConfig = path.join(root, 'empty.tfrc');
  fs.writeFileSync(emptyConfig, '');
  const listed = execFileSync('terraform', ['providers'], { cwd: probe, env: { ...process.env, TF_CLI_CONFIG_FILE: emptyConfig, CHECKPOINT_DISABLE: '1' }, encoding: 'utf8' });
  const nullAddress = /provider\[([^\]]+\/hashicorp\/null)\]/.exec(listed)?.[1];
  if (!nullAddress) throw new Error(`terraform providers did not name the null provider's address:\n${listed}`);
  const platform = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;
  for (const p of providers) {
    const dir = path.join(root, 'provider-mirror', nullAddress.replace(/\/null$/, `/${p.type}`), p.version, platform);
    fs.mkdirSync(dir, { recursive: true });
    const as = p.type === 'null' ? '' : `KUBELAB_PROVIDER_STANDIN_AS=${p.type} `;
    fs.writeFileSync(path.join(dir, `terraform-provider-${p.type}_v${p.version}_x5`), `#!/bin/sh\n${as}exec '${process.execPath}' '${PROVIDER_STANDIN}' "$@"\n`, { mode: 0o755 });
  }
  const config = path.join(root, 'provider-mirror.tfrc');
  fs.writeFileSync(config, `provider_installation {\n  filesystem_mirror {\n    path = "${path.join(root, 'provider-mirror')}"\n  }\n}\n`);
  return config;
}
