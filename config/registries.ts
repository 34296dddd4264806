import { z } from 'zod';
import { stateDirFile } from './existing-host';

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
  insecureSkipVerify: z.boolean({ message: 'must be true or false' }).optional(),
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
