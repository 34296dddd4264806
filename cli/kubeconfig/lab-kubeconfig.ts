import { Document, isMap, isSeq, parseDocument, YAMLMap, YAMLSeq } from 'yaml';
import { KubelabError } from '../errors';

/** What K3s names everything in /etc/rancher/k3s/k3s.yaml. */
const K3S_DEFAULT_NAME = 'default';

/** The list sections of a kubeconfig, each entry `{ name, <kind>: {...} }`. */
export const KUBECONFIG_SECTIONS = ['clusters', 'contexts', 'users'] as const;

export function parseKubeconfig(text: string, source: string): Document.Parsed {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new KubelabError(`${source} is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  if (doc.contents !== null && !isMap(doc.contents)) throw new KubelabError(`${source} is not a kubeconfig (its top level is not a mapping)`);
  return doc;
}

export function sectionOf(doc: Document, section: (typeof KUBECONFIG_SECTIONS)[number]): YAMLSeq<YAMLMap> | undefined {
  const seq = doc.get(section);
  return isSeq(seq) ? (seq as YAMLSeq<YAMLMap>) : undefined;
}

/**
 * The lab kubeconfig made from the server's k3s.yaml: the server URL points at the
 * server's host-only address instead of 127.0.0.1, and the cluster, context and user
 * are named after the lab instead of `default`, so it can sit beside other clusters.
 */
export function labKubeconfigFromK3s(k3sYaml: string, lab: { name: string; serverUrl: string }): string {
  const source = 'the server\'s /etc/rancher/k3s/k3s.yaml';
  const doc = parseKubeconfig(k3sYaml, source);
  for (const section of KUBECONFIG_SECTIONS) {
    const entries = sectionOf(doc, section)?.items ?? [];
    if (entries.length !== 1 || entries[0].get('name') !== K3S_DEFAULT_NAME) {
      throw new KubelabError(`${source} should hold exactly one entry named "${K3S_DEFAULT_NAME}" in ${section} (as K3s writes it); found ${entries.length}. Was the file edited on the node?`);
    }
    entries[0].set('name', lab.name);
  }
  doc.setIn(['clusters', 0, 'cluster', 'server'], lab.serverUrl);
  doc.setIn(['contexts', 0, 'context', 'cluster'], lab.name);
  doc.setIn(['contexts', 0, 'context', 'user'], lab.name);
  doc.set('current-context', lab.name);
  return doc.toString();
}
