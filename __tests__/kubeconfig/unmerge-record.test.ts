import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { labKubeconfigFromK3s } from '../../cli/kubeconfig/lab-kubeconfig';
import { mergeLabIntoUserKubeconfig, unmergeLabFromUserKubeconfig } from '../../cli/kubeconfig/merge';
import { labPaths } from '../../config/paths';
import { K3S_STYLE_KUBECONFIG } from '../k3s/stand-ins';

/** A user's kubeconfig with two contexts of their own; `prod` is current. */
const userKubeconfig = (current: string) =>
  stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'prod', cluster: { server: 'https://prod.example.com:6443' } },
      { name: 'minikube', cluster: { server: 'https://192.168.49.2:8443' } },
    ],
    contexts: [
      { name: 'prod', context: { cluster: 'prod', user: 'prod' } },
      { name: 'minikube', context: { cluster: 'minikube', user: 'minikube' } },
    ],
    users: [
      { name: 'prod', user: { token: 'not-a-real-token' } },
      { name: 'minikube', user: { token: 'not-a-real-token' } },
    ],
    'current-context': current,
  });

/** `kubectl config use-context <name>` on the file, as the user would after a merge. */
function useContext(file: string, name: string): void {
  const kc = parse(fs.readFileSync(file, 'utf8'));
  kc['current-context'] = name;
  fs.writeFileSync(file, stringify(kc));
}

describe('unmerge: which context comes back, and the record outlives a failed write', () => {
  let dir: string;
  let file: string;
  let paths: ReturnType<typeof labPaths>;
  const record = () => path.join(paths.stateDir, 'kubeconfig-merged.json');
  const current = () => parse(fs.readFileSync(file, 'utf8'))['current-context'];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-unmerge-'));
    paths = labPaths(path.join(dir, 'project'));
    fs.mkdirSync(paths.stateDir, { recursive: true });
    fs.writeFileSync(paths.kubeconfig, labKubeconfigFromK3s(K3S_STYLE_KUBECONFIG, { name: 'kubelab', serverUrl: 'https://192.168.56.10:6443' }));
    file = path.join(dir, 'config');
  });
  afterEach(() => {
    if (fs.existsSync(file)) fs.chmodSync(file, 0o600);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the context current before the merge comes back, not another of the user’s', () => {
    fs.writeFileSync(file, userKubeconfig('minikube'));
    mergeLabIntoUserKubeconfig(paths, 'kubelab', file);
    useContext(file, 'kubelab');
    unmergeLabFromUserKubeconfig(paths, 'kubelab', file);
    expect(current()).toBe('minikube');
  });

  test('a re-merge (the kubeconfig step replaced) keeps the context from before the first merge', () => {
    fs.writeFileSync(file, userKubeconfig('minikube'));
    mergeLabIntoUserKubeconfig(paths, 'kubelab', file);
    useContext(file, 'kubelab');
    fs.writeFileSync(paths.kubeconfig, labKubeconfigFromK3s(K3S_STYLE_KUBECONFIG, { name: 'kubelab', serverUrl: 'https://192.168.56.20:6443' }));
    mergeLabIntoUserKubeconfig(paths, 'kubelab', file);
    unmergeLabFromUserKubeconfig(paths, 'kubelab', file);
    expect(current()).toBe('minikube');
  });

  test('a context the user changed to after the merge is kept when the lab is not current', () => {
    fs.writeFileSync(file, userKubeconfig('minikube'));
    mergeLabIntoUserKubeconfig(paths, 'kubelab', file);
    useContext(file, 'prod');
    unmergeLabFromUserKubeconfig(paths, 'kubelab', file);
    expect(current()).toBe('prod');
  });

  test('the previous context is gone by now: no current-context rather than a dangling one', () => {
    fs.writeFileSync(file, userKubeconfig('minikube'));
    mergeLabIntoUserKubeconfig(paths, 'kubelab', file);
    const kc = parse(fs.readFileSync(file, 'utf8'));
    kc.contexts = kc.contexts.filter((c: { name: string }) => c.name !== 'minikube');
    kc['current-context'] = 'kubelab';
    fs.writeFileSync(file, stringify(kc));
    unmergeLabFromUserKubeconfig(paths, 'kubelab', file);
    expect(current()).toBeUndefined();
  });

  test('a write that fails keeps the record, so a retry still finds the file and the context to restore', () => {
    fs.writeFileSync(file, userKubeconfig('minikube'));
    mergeLabIntoUserKubeconfig(paths, 'kubelab', file);
    useContext(file, 'kubelab');
    fs.chmodSync(file, 0o444);
    expect(() => unmergeLabFromUserKubeconfig(paths, 'kubelab')).toThrow();
    expect(JSON.parse(fs.readFileSync(record(), 'utf8'))).toEqual({ file: fs.realpathSync(file), previousContext: 'minikube' });
    expect(current()).toBe('kubelab');
    fs.chmodSync(file, 0o600);
    unmergeLabFromUserKubeconfig(paths, 'kubelab');
    expect(current()).toBe('minikube');
    expect(fs.existsSync(record())).toBe(false);
  });
});
