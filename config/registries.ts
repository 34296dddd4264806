import { z } from 'zod';
import { stateDirFile } from './existing-host';
import type { LabConfig } from './lab-config';

/**
 * Registry mirrors for every node, written by kubelab to /etc/rancher/k3s/registries.yaml
 * (K3s docs, docs/installation/private-registry.md in k3s-io/docs, read at commit 2936f007:
 * top-level `mirrors` and `configs`, keyed by registry name, `"*"` for every registry).
 * Credentials are never in the config: `credentialsFile` names a file in `.kubelab/`.
 */

/** A registry name as image references use it: host, optional port; or "*" for every registry. */
const REGISTRY_NAME = /^(\*|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?)$/;


const endpointUrl = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === '';
    } catch {
      return false;
    }
  },
  { message: 'must be an http:// or https:// URL of the mirror without a user or password in it, like https://mirror.example.com:5000 (credentials go in a credentialsFile)' },
);

export const registryMirrorSchema = z.strictObject({
  /** Mirror URLs tried in order before the registry itself. */
  endpoint: z.array(endpointUrl).min(1, { message: 'must list at least one mirror URL' }),
  /** Image-name rewrites, regular expression to replacement (K3s `rewrite`). @default none */
  rewrite: z.record(z.string(), z.string()).optional(),
});

export const registryConfigSchema = z.strictObject({
  /**
   * A YAML file in `.kubelab/` with `username:` and `password:` for the registry, read
   * when a K3s step runs and sent to the nodes over SSH only. @default no credentials
   */
  credentialsFile: stateDirFile('credentialsFile').optional(),
  /** Skip TLS verification of the registry (K3s `tls.insecure_skip_verify`). @default false */
  insecureSkipVerify: z.boolean().optional(),
});

export const registriesSchema = z
  .strictObject({
    /** Mirrors per registry name. @default none */
    mirrors: z.record(z.string(), registryMirrorSchema).optional(),
    /** Credentials and TLS per registry or mirror host. @default none */
    configs: z.record(z.string(), registryConfigSchema).optional(),
  })
  .superRefine((registries, ctx) => {
    for (const section of ['mirrors', 'configs'] as const) {
      for (const name of Object.keys(registries[section] ?? {})) {
        if (REGISTRY_NAME.test(name)) continue;
        ctx.addIssue({
          code: 'custom',
          path: [section, name],
          message: `${JSON.stringify(name)} is not a registry name: use a host with an optional port, like registry.example.com or registry.example.com:5000, or "*" for every registry`,
        });
      }
    }
  });

export type RegistriesConfig = z.output<typeof registriesSchema>;

/**
 * The registries the lab's own images come from: K3s's system images and the air-gap list
 * (docker.io/rancher/..., k3s-io/k3s scripts/airgap/image-list.txt, read at commit 7a8e5190),
 * Traefik, busybox and the Kubernetes Dashboard with Kong (docker.io), metrics-server and the
 * HPA demo (registry.k8s.io), Headlamp (ghcr.io). The chart registries are their default
 * values as kubelab renders them (not re-read at the pinned chart versions for this list).
 */
export const LAB_IMAGE_REGISTRIES = ['docker.io', 'registry.k8s.io', 'ghcr.io'] as const;

/** A mirrors entry as the nodes get it: with no endpoint, only the embedded mirror and the registry itself serve it. */
export interface NodeRegistryMirror {
  readonly endpoint?: readonly string[];
  readonly rewrite?: Readonly<Record<string, string>>;
}

/** What every node's registries.yaml says (before credentials are read into it). */
export interface NodeRegistries {
  readonly mirrors: Readonly<Record<string, NodeRegistryMirror>>;
  readonly configs: NonNullable<RegistriesConfig['configs']>;
}

/**
 * The registries of the lab: the user's `registries:`, and with K3s's embedded registry mirror
 * on (k3s.embeddedRegistry, default true) a `mirrors` entry for each of LAB_IMAGE_REGISTRIES the
 * user did not list. K3s shares between nodes only the images of registries listed under
 * `mirrors` ("The registry does not need to have any endpoints listed, it just needs to be
 * present"); a user's entry with endpoints keeps them, tried after the embedded mirror and
 * before the registry itself (k3s-io/docs docs/installation/registry-mirror.md at 116507ce,
 * "Enabling Registry Mirroring"; the docs are not versioned by K3s release). Undefined when the
 * nodes need no registries.yaml.
 */
export function labRegistries(cfg: Pick<LabConfig, 'k3s' | 'registries'>): NodeRegistries | undefined {
  const mirrors: Record<string, NodeRegistryMirror> = { ...(cfg.registries?.mirrors ?? {}) };
  if (cfg.k3s.embeddedRegistry !== false) for (const r of LAB_IMAGE_REGISTRIES) mirrors[r] ??= {};
  const configs = cfg.registries?.configs ?? {};
  if (Object.keys(mirrors).length === 0 && Object.keys(configs).length === 0) return undefined;
  return { mirrors, configs };
}
