import { z } from 'zod';
import { isIpv4 } from './ipv4';
import { numberHint, slashHint } from './write-it-right';

/** Where SSH listens on a machine unless the config says otherwise. */
export const DEFAULT_SSH_PORT = 22;

/** The lab's own key inside `.kubelab/`: the default key for existing hosts too. */
export const LAB_KEY_IN_STATE_DIR = 'ssh/id_ed25519';

/**
 * A file inside the lab state dir `.kubelab/`, named relative to it: secrets (SSH keys,
 * registry credentials) live only there, so a config may point at them but never hold them.
 */
export const stateDirFile = (what: string) =>
  z.string().refine((p) => isInsideStateDir(p), {
    error: (issue) =>
      `${what} must be a path relative to the lab state dir .kubelab/ (like ssh/id_ed25519) of letters, digits and . _ / + = -, without '..' or a leading '/': secrets stay in .kubelab/` +
      slashHint(what, issue.input, isInsideStateDir),
  });

/**
 * Whether a relative path stays inside the dir it is relative to, on every OS. Its characters leave
 * out '\' and ':' (so no Windows separator or drive letter): '/' is the only separator, and a
 * leading, trailing or doubled one makes an empty step.
 */
export function isInsideStateDir(p: string): boolean {
  return /^[A-Za-z0-9._/+=-]+$/.test(p) && !p.split('/').some((part) => part === '..' || part === '');
}

/**
 * An existing machine used as a node instead of a VM (`host:` in a node). kubelab reaches
 * it over SSH with a key from `.kubelab/` and needs passwordless sudo there; it installs
 * and removes only K3s (and its own files under /var/lib/kubelab and /etc/rancher/k3s).
 */
export const existingHostSchema = z.strictObject({
  /** The machine's IPv4 address: SSH goes there and K3s registers the node with it (--node-ip). */
  address: z.string().refine(isIpv4, { message: 'must be the IPv4 address of the machine, like 192.168.1.50 (K3s registers the node with it)' }),
  /** The login user; it needs passwordless sudo (kubelab runs sudo -n). */
  user: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, { message: 'must be a Linux user name like ubuntu (lower-case letters, digits, _ . -)' }),
  /** @default 22 */
  port: z
    .number({ error: (issue) => `must be a TCP port, 1 to 65535${numberHint('port', issue.input)}` })
    .int({ message: 'must be a whole number' })
    // Out of range says the number's own line above (zod 4.6.7 finalizeIssue: a check with no message of its own reports its schema's).
    .min(1)
    .max(65535)
    .optional(),
  /**
   * The private key that logs in, relative to `.kubelab/`.
   * @default ssh/id_ed25519, the lab's own key (put ssh/id_ed25519.pub in the user's authorized_keys)
   */
  keyFile: stateDirFile('keyFile').optional(),
});

export type ExistingHostInput = z.input<typeof existingHostSchema>;

/** An existing host with its defaults filled in. */
export interface ExistingHost {
  readonly address: string;
  readonly user: string;
  readonly port: number;
  /** Relative to `.kubelab/`. */
  readonly keyFile: string;
}

export function withHostDefaults(host: z.output<typeof existingHostSchema>): ExistingHost {
  return { address: host.address, user: host.user, port: host.port ?? DEFAULT_SSH_PORT, keyFile: host.keyFile ?? LAB_KEY_IN_STATE_DIR };
}
