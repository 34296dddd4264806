#!/usr/bin/python3
# STAND-IN for the k3s binary inside the test guests (`npm run test:guest`) — NOT K3s.
# It runs no Kubernetes. Towards systemd it behaves as K3s does; towards kubelab it answers
# the few kubectl questions the K3s steps ask. The test writes the version into the
# VERSION line below before uploading it as k3s.installer.binary.
#
# What it follows (k3s-io/k3s, stored versions read with the search tools; not confirmed
# to be the pinned tag v1.36.4+k3s1):
# - `k3s --version` prints "k3s version <version> (<commit>)" then "go version ..."
#   (two lines, which is what makes `--version | head -n 1` race with SIGPIPE).
# - The unit install.sh writes is Type=notify (install.sh, setup_env: SYSTEMD_TYPE=notify):
#   systemd waits for READY=1 on $NOTIFY_SOCKET.
# - An agent sends READY=1 only after it has validated the connection to the server; until
#   then it logs "Failed to validate connection to cluster at <url>: <error>" and retries
#   every 2 s, forever (pkg/agent/run.go at commit 0097157b, createProxyAndValidateToken and run).
# - The server notifies when it is up (pkg/agent/run.go says "By default, the server is
#   responsible for notifying systemd"; the exact moment in the server: unverified).
# - The server writes /etc/rancher/k3s/k3s.yaml with --write-kubeconfig-mode (K3s docs).
# Joining is a one-line TCP exchange on port 6443 with the token, not K3s's protocol.
import json
import os
import socket
import sys
import time

VERSION = 'v0.0.0+standin'
STATE_DIR = '/var/lib/rancher/k3s/standin'
NODES_DIR = STATE_DIR + '/nodes'


def flag(args, name, default=None):
    return args[args.index(name) + 1] if name in args else default


def notify_ready():
    address = os.environ.get('NOTIFY_SOCKET')
    if not address:
        return
    if address.startswith('@'):
        address = '\0' + address[1:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(b'READY=1', address)
    s.close()


def log(line):
    print(line, flush=True)


def token():
    path = os.environ.get('K3S_TOKEN_FILE')
    if path:
        with open(path) as f:
            return f.read().strip()
    return os.environ.get('K3S_TOKEN', '')


def record_start(role, args):
    """What ran: read by the test through /run (gone at reboot, like the process)."""
    os.makedirs('/run/k3s-standin', exist_ok=True)
    with open('/run/k3s-standin/%s.json' % role, 'w') as f:
        json.dump({'pid': os.getpid(), 'version': VERSION, 'args': args}, f)


def node_password():
    """K3s keeps the node's password in /etc/rancher/node/password (pkg/agent/config, nodeConfigPath
    under "/" when not rootless; read in the search index's newest k3s-io/k3s, not confirmed at the
    pinned tag); its uninstall script leaves it (install.sh create_uninstall)."""
    os.makedirs('/etc/rancher/node', exist_ok=True)
    path = '/etc/rancher/node/password'
    if not os.path.exists(path):
        with open(path, 'w') as f:
            f.write(os.urandom(16).hex() + '\n')
        os.chmod(path, 0o600)


def register(name, ip):
    os.makedirs(NODES_DIR, exist_ok=True)
    with open(os.path.join(NODES_DIR, name), 'w') as f:
        f.write('True %s\n' % ip)


def server(args):
    node_password()
    name = flag(args, '--node-name', socket.gethostname())
    ip = flag(args, '--node-ip', '10.0.2.15')
    mode = int(flag(args, '--write-kubeconfig-mode', '600'), 8)
    os.makedirs('/etc/rancher/k3s', exist_ok=True)
    kubeconfig = '/etc/rancher/k3s/k3s.yaml'
    with open(kubeconfig, 'w') as f:
        # As K3s writes it: one cluster, context and user, each named default (no credentials in this stand-in).
        f.write('apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://127.0.0.1:6443\n  name: default\n'
                'contexts:\n- context:\n    cluster: default\n    user: default\n  name: default\ncurrent-context: default\n'
                'users:\n- name: default\n  user: {}\n')
    os.chmod(kubeconfig, mode)
    register(name, ip)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(('0.0.0.0', 6443))
    listener.listen(16)
    record_start('server', args)
    log('k3s (stand-in) %s server is up and running' % VERSION)
    notify_ready()
    want = token()
    while True:
        conn, _ = listener.accept()
        # Anything else that reaches 6443 (a TLS client such as `kubelab status`, a port probe) gets
        # DENIED and the server keeps serving, as a real API server outlives a bad client.
        try:
            conn.settimeout(10)
            words = conn.makefile('rb').readline(4096).decode('ascii', 'replace').split()
            if len(words) == 4 and words[0] == 'JOIN' and words[1] == want:
                register(words[2], words[3])
                conn.sendall(b'OK\n')
            else:
                conn.sendall(b'DENIED\n')
        except OSError:
            pass
        finally:
            conn.close()


def agent(args):
    node_password()
    url = os.environ.get('K3S_URL') or flag(args, '--server', '')
    name = flag(args, '--node-name', socket.gethostname())
    ip = flag(args, '--node-ip', '10.0.2.15')
    host, port = url.split('://', 1)[1].rstrip('/').rsplit(':', 1)
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=5) as c:
                c.sendall(('JOIN %s %s %s\n' % (token(), name, ip)).encode())
                answer = c.makefile().readline().strip()
            if answer == 'OK':
                break
            error = 'token rejected (%s)' % answer
        except OSError as e:
            error = str(e)
        log('Failed to validate connection to cluster at %s: %s' % (url, error))
        time.sleep(2)
    record_start('agent', args)
    log('k3s (stand-in) %s agent is up and running' % VERSION)
    notify_ready()
    while True:
        time.sleep(3600)


def server_running():
    try:
        with open('/run/k3s-standin/server.json') as f:
            pid = json.load(f)['pid']
        os.kill(pid, 0)
        return True
    except (OSError, ValueError, KeyError):
        return False


def kubectl(args):
    if args[:2] == ['get', '--raw'] and args[2:] == ['/readyz']:
        if not server_running():
            sys.exit('The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?')
        print('ok')
        return
    if args[:2] == ['get', 'node'] and len(args) >= 3:
        path = os.path.join(NODES_DIR, args[2])
        if not server_running():
            sys.exit('The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?')
        if not os.path.exists(path):
            sys.exit('Error from server (NotFound): nodes "%s" not found' % args[2])
        if args[3:5] == ['-o', 'name']:
            print('node/' + args[2])
        else:
            with open(path) as f:
                print(f.read().strip())
        return
    # What kubelab's uninstall asks when a node leaves: drain it (no pods here), then delete the node object.
    if args[:1] == ['drain'] and len(args) >= 2:
        if not os.path.exists(os.path.join(NODES_DIR, args[1])):
            sys.exit('Error from server (NotFound): nodes "%s" not found' % args[1])
        print('node/%s drained' % args[1])
        return
    if args[:2] == ['delete', 'node'] and len(args) >= 3:
        path = os.path.join(NODES_DIR, args[2])
        if os.path.exists(path):
            os.remove(path)
            print('node "%s" deleted' % args[2])
        elif '--ignore-not-found' not in args:
            sys.exit('Error from server (NotFound): nodes "%s" not found' % args[2])
        return
    sys.stderr.write('k3s stand-in: kubectl %s is not something the stand-in answers\n' % ' '.join(args))
    sys.exit(99)


def main():
    args = sys.argv[1:]
    if os.path.basename(sys.argv[0]) == 'kubectl':
        return kubectl(args)
    if args[:1] == ['--version'] or args[:1] == ['-v']:
        print('k3s version %s (standin)' % VERSION)
        print('go version go1.0-standin')
        return
    if args[:1] == ['server']:
        return server(args[1:])
    if args[:1] == ['agent']:
        return agent(args[1:])
    if args[:1] == ['kubectl']:
        return kubectl(args[1:])
    sys.stderr.write('k3s stand-in: unexpected arguments: %s\n' % ' '.join(args))
    sys.exit(99)


main()
