#!/usr/bin/python3
# STAND-IN for the k3s binary inside the test guests (`npm run test:guest`, `npm run test:joined`,
# `npm run test:machines`)
# — NOT K3s. It runs no Kubernetes. Towards systemd it behaves as K3s does; towards kubelab it
# answers the kubectl questions the K3s steps ask and the few API calls kubelab's own client
# makes (the node list), over HTTPS on 6443 with the lab kubeconfig. The test writes the version
# into the VERSION line below before uploading it as k3s.installer.binary.
#
# What it follows (k3s-io/k3s read with the search tools at the stored commits named here; not
# confirmed at the pinned tag v1.36.4+k3s1, whose snapshot is too large to fetch here):
# - `k3s --version` prints "k3s version <version> (<commit>)" then "go version ..."
#   (two lines, which is what makes `--version | head -n 1` race with SIGPIPE).
# - The unit install.sh writes is Type=notify (install.sh, setup_env: SYSTEMD_TYPE=notify):
#   systemd waits for READY=1 on $NOTIFY_SOCKET.
# - An agent sends READY=1 only after it has validated the connection to the server; until
#   then it logs "Failed to validate connection to cluster at <url>: <error>" and retries
#   every 2 s, forever (pkg/agent/run.go at commit 0097157b, createProxyAndValidateToken and run).
#   A joining server (--server <url>) waits the same way for the server it joins.
# - The server notifies when it is up (pkg/agent/run.go says "By default, the server is
#   responsible for notifying systemd"; the exact moment in the server: unverified).
# - The server writes /etc/rancher/k3s/k3s.yaml with --write-kubeconfig-mode (K3s docs), a
#   kubeconfig for https://127.0.0.1:6443 with the cluster CA; its serving certificate names
#   the --node-ip/--advertise-address/--tls-san addresses (docs: cli/server.md, --tls-san),
#   which is what lets the lab kubeconfig point at https://<node ip>:6443. (K3s's admin
#   kubeconfig authenticates with a client certificate; this stand-in with a bearer token.)
# - Embedded etcd (docs/datastore/ha-embedded.md at 0c96e6d7): `--cluster-init` starts a new
#   cluster, `--server <url>` with the token joins it; once a server has its datastore on disk
#   those flags are ignored at later starts. Every server holds the whole cluster state (etcd
#   replicates it): here each change is sent to every other server, and a server that starts
#   takes the state of a peer that answers.
# - Servers carry the labels node-role.kubernetes.io/etcd, control-plane and master = "true"
#   and the annotations etcd.k3s.cattle.io/node-name (member name: node name plus a random
#   suffix) and etcd.k3s.cattle.io/node-address (pkg/etcd/etcd.go at 2614da01: EtcdRoleLabel,
#   NodeNameAnnotation, NodeAddressAnnotation).
# - Member removal (pkg/etcd/member_controller.go at 14cf9632, sync): a node with the etcd role
#   label and etcd.k3s.cattle.io/remove=true has its member removed; then
#   etcd.k3s.cattle.io/removed-node-name is set to the member name and the node-name and
#   node-address annotations are deleted. A removed member is no longer in the member list.
# - Node Ready: the kubelet posts its status every 10 s (--node-status-update-frequency) and
#   the node controller marks a node not Ready when none came for --node-monitor-grace-period,
#   50 s since Kubernetes 1.32 (kubernetes/kubernetes PR #126287, merged; the defaults file
#   pkg/controller/nodelifecycle/config/v1alpha1/defaults.go read in the search index still says 40 s at
#   its stored commits: unverified at the tag).
#   A node that comes back registers again, with its annotations and labels kept.
# - Leases (coordination.k8s.io/v1, namespace kube-node-lease, one named after each node): the kubelet's
#   lease controller renews its node's Lease every 10 s while it runs, spec.renewTime set from the
#   kubelet's own clock (k8s.io/component-helpers apimachinery/lease/controller.go at tag v0.36.3, the
#   staging copy of Kubernetes v1.36.3: Run repeats sync every renewInterval, newLease sets RenewTime =
#   clock.Now(); k8s.io/kubelet config/v1beta1/types.go at v0.36.3: "The lease is currently renewed every
#   10s", nodeLeaseDurationSeconds 40). Here the heartbeat carries the kubelet's time; each server keeps
#   the leases (etcd keeps them over a reboot: here a file per server) and serves them at
#   /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases[/<node>].
# - A server that starts again keeps, for the grace period, the Ready each node had when it went down:
#   the node-lifecycle controller gives a node it has not seen since its own start probeTimestamp = now
#   and leaves the stored Ready condition until the grace period passes without a status or a lease
#   renewal (tryUpdateNodeHealth in kubernetes/kubernetes pkg/controller/nodelifecycle/
#   node_lifecycle_controller.go, read at commit 003e8629 in the search index, not at a tag). Here a
#   node counts as Ready when the server went down if its lease was renewed within the grace period
#   before the server's last lease write.
# - /run/k3s-standin/api-events.log (a test's record, not K3s): one line per lease renewal a server
#   received ("renewal <node>") and per lease list it served ("get-leases"), in the order they happened.
# - A kubelet registers its node when it starts; status updates for a node that was deleted
#   meanwhile do not bring it back (here: a status for an unknown node is refused).
# - K3s keeps the node's password in /etc/rancher/node/password (pkg/agent/config, nodeConfigPath
#   under "/" when not rootless; read in the search index's newest k3s-io/k3s, not confirmed at the
#   pinned tag); its uninstall script leaves it (install.sh create_uninstall).
# - Anything else that reaches 6443 (a port probe, a client that never finishes its TLS handshake)
#   is dropped and the server keeps serving, as a real API server outlives a bad client.
# - The node IP without --node-ip and the address flannel announces without --flannel-iface (the
#   default route's interface, on a machine with a NAT NIC not the lab address): see the section
#   "the addresses K3s and flannel pick" below, with its sources.
# Joining, heartbeats and replication use stand-in paths under /standin/ with the cluster token,
# not K3s's protocol. kubectl answers: get --raw /readyz[/etcd], get node <n> -o name|jsonpath=,
# get nodes [-l k=v] -o jsonpath=, get lease <n> -n kube-node-lease [--ignore-not-found] -o jsonpath=,
# annotate node, drain (no pods here), delete node.
import hashlib
import http.server
import json
import os
import random
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
import ipaddress
import urllib.error
import urllib.parse
import urllib.request

VERSION = 'v0.0.0+standin'
STATE_DIR = '/var/lib/rancher/k3s/standin'
STATE_FILE = STATE_DIR + '/cluster.json'
LEASES_FILE = STATE_DIR + '/leases.json'
LEASE_NAMESPACE = 'kube-node-lease'
API_EVENTS = '/run/k3s-standin/api-events.log'
TLS_DIR = STATE_DIR + '/tls'
KUBECONFIG = '/etc/rancher/k3s/k3s.yaml'
PORT = 6443
HEARTBEAT_S = 10
GRACE_S = 50
ETCD_ROLE = 'node-role.kubernetes.io/etcd'
NODE_NAME_ANN = 'etcd.k3s.cattle.io/node-name'
NODE_ADDRESS_ANN = 'etcd.k3s.cattle.io/node-address'
REMOVE_ANN = 'etcd.k3s.cattle.io/remove'
REMOVED_ANN = 'etcd.k3s.cattle.io/removed-node-name'
REFUSED = 'The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?'


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


def write_file(path, text, mode=0o600):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


# K3s imports the image tarballs in the agent's images dir when it starts ("k3s supports
# pre-loading of containerd images by placing them in the images directory for the agent before
# starting": rancher/docs content/k3s/latest/en/installation/airgap/_index.md, the search index's
# copy). This stand-in imports nothing; it records which files were there, and their sha256, when it started.
AGENT_IMAGES_DIR = '/var/lib/rancher/k3s/agent/images'


def images_at_start():
    found = {}
    if os.path.isdir(AGENT_IMAGES_DIR):
        for name in sorted(os.listdir(AGENT_IMAGES_DIR)):
            with open(os.path.join(AGENT_IMAGES_DIR, name), 'rb') as f:
                found[name] = hashlib.sha256(f.read()).hexdigest()
    return found


# K3s reads its registries.yaml only when it starts: "Upon startup, K3s will check to see if
# /etc/rancher/k3s/registries.yaml exists" and "In order for the registry changes to take effect, you
# need to restart K3s on each node" (k3s-io/docs docs/installation/private-registry.md at commit
# 2936f007; the docs repository has no release tags). This stand-in records the file's sha256 then.
REGISTRIES_FILE = '/etc/rancher/k3s/registries.yaml'


def registries_at_start():
    if not os.path.exists(REGISTRIES_FILE):
        return None
    with open(REGISTRIES_FILE, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def record_start(role, args):
    """What ran: read by the test through /run (gone at reboot, like the process)."""
    write_file('/run/k3s-standin/%s.json' % role, json.dumps({'pid': os.getpid(), 'version': VERSION, 'args': args, 'started': time.time(), 'images': images_at_start(), 'registries': registries_at_start()}), 0o644)


def unverified():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def bypasses_proxy(host):
    """NO_PROXY as K3s (Go) reads it, golang.org/x/net/http/httpproxy config.useProxy: an entry
    matches the host exactly, as a domain suffix (".example" or "example"), or, for an IP, as a
    CIDR holding it. Python's urllib knows no CIDR entries, so the stand-in decides itself."""
    entries = [e.strip() for e in (os.environ.get('NO_PROXY') or os.environ.get('no_proxy') or '').split(',') if e.strip()]
    for e in entries:
        if e == '*' or host == e or host.endswith('.' + e.lstrip('.')):
            return True
        try:
            if ipaddress.ip_address(host) in ipaddress.ip_network(e, strict=False):
                return True
        except ValueError:
            pass
    return False


def call(url, path, body=None, bearer=None, timeout=5):
    """One JSON request to a server's API (the cluster token authenticates /standin/ calls),
    through HTTPS_PROXY unless NO_PROXY says the server is reached directly, as K3s does."""
    req = urllib.request.Request(url.rstrip('/') + path, data=None if body is None else json.dumps(body).encode(), method='GET' if body is None else 'POST')
    req.add_header('Content-Type', 'application/json')
    if bearer:
        req.add_header('Authorization', 'Bearer ' + bearer)
    proxy = os.environ.get('HTTPS_PROXY') or os.environ.get('https_proxy')
    use = {} if not proxy or bypasses_proxy(urllib.parse.urlsplit(url).hostname or '') else {'https': proxy}
    opener = urllib.request.build_opener(urllib.request.ProxyHandler(use), urllib.request.HTTPSHandler(context=unverified()))
    with opener.open(req, timeout=timeout) as r:
        return json.loads(r.read().decode() or 'null')


def node_password():
    path = '/etc/rancher/node/password'
    if not os.path.exists(path):
        write_file(path, os.urandom(16).hex() + '\n')


def node_record(name, ip, role, labels=None):
    return {'name': name, 'ip': ip, 'role': role, 'version': VERSION, 'labels': labels or {}, 'annotations': {}, 'unschedulable': False}


# ---- the addresses K3s and flannel pick on a machine with several NICs ---------------------
# Read in the search index's versions of the sources named (their commits are not the pinned tag
# v1.36.4+k3s1: unverified there).
FLANNEL_PUBLIC_IP = 'flannel.alpha.coreos.com/public-ip'


def default_route_iface():
    """The interface of the first IPv4 default route in /proc/net/route (Destination and Mask 0):
    flannel-io/flannel pkg/ip/iface.go GetDefaultGatewayInterface takes the first route whose Dst is
    nil or 0.0.0.0/0; k8s.io/apimachinery pkg/util/net/interface.go ChooseHostInterface reads the
    default routes from /proc/net/route."""
    with open('/proc/net/route') as f:
        for line in f.read().splitlines()[1:]:
            fields = line.split()
            if len(fields) >= 8 and fields[1] == '00000000' and fields[7] == '00000000':
                return fields[0]
    sys.exit('unable to select an IP from default routes.')


def iface_ipv4(iface):
    """The first IPv4 address of an interface (flannel pkg/ip/iface.go GetInterfaceIP4Addrs; flannel
    announces the first, LookupExtInterface ExtAddr: ifaceAddr[0])."""
    out = subprocess.run(['ip', '-4', '-o', 'addr', 'show', 'dev', iface], capture_output=True, text=True).stdout
    m = re.search(r'\binet (\d+\.\d+\.\d+\.\d+)/', out)
    if not m:
        sys.exit('failed to find IPv4 address for interface %s' % iface)
    return m.group(1)


def chosen_node_ip(args):
    """--node-ip, else the default route's interface address: k3s-io/k3s pkg/agent/config/config.go
    getHostnameAndIPs calls net.ChooseHostInterface() when no --node-ip is given (commit eaaf1f84)."""
    return flag(args, '--node-ip') or iface_ipv4(default_route_iface())


def flannel_public_ip(args):
    """The address flannel announces for this node's pod traffic: the first IPv4 of --flannel-iface,
    else of the default route's interface, whatever --node-ip says (k3s-io/k3s pkg/agent/config
    config.go: FlannelIface set only from --flannel-iface; pkg/agent/flannel/flannel.go
    LookupExtInterface: `if iface == nil` ip.GetDefaultGatewayInterface()). flannel writes it as the
    node annotation <prefix>/public-ip (flannel-io/flannel pkg/subnet/kube/annotations.go, kube.go
    AcquireLease), prefix flannel.alpha.coreos.com in K3s (flannel.go BaseAnnotation)."""
    return iface_ipv4(flag(args, '--flannel-iface') or default_route_iface())


def keep_flannel_annotation(old, rec):
    """flannel rewrites the annotation at each start when it differs (kube.go AcquireLease)."""
    if FLANNEL_PUBLIC_IP in rec['annotations']:
        old['annotations'][FLANNEL_PUBLIC_IP] = rec['annotations'][FLANNEL_PUBLIC_IP]


# ---- server -----------------------------------------------------------------------------


class Cluster:
    """The cluster state a server holds: nodes, etcd members, the admin token and CA (replicated)."""

    def __init__(self, me, ip):
        self.lock = threading.Lock()
        self.me = me
        self.ip = ip
        self.seen = {}  # node name -> monotonic time of its last status (not replicated: each server's own view)
        self.leases = {}  # node name -> spec.renewTime (the kubelet's clock, seconds since the epoch)
        self.state = None

    def load(self):
        if os.path.exists(STATE_FILE):
            with open(STATE_FILE) as f:
                self.state = json.load(f)
        return self.state

    def save(self):
        write_file(STATE_FILE, json.dumps(self.state))

    def peers(self):
        return ['https://%s:%d' % (n['ip'], PORT) for n in self.state['nodes'].values() if n['role'] == 'server' and n['name'] != self.me]

    def replicate(self):
        snapshot = json.loads(json.dumps(self.state))
        for peer in self.peers():
            threading.Thread(target=self._send, args=(peer, snapshot), daemon=True).start()

    def _send(self, peer, snapshot):
        try:
            call(peer, '/standin/sync', {'token': snapshot['token'], 'state': snapshot})
        except OSError:
            pass

    def register(self, rec):
        """A node that (re)joins: registers it, or updates it keeping its labels and annotations."""
        def apply(s):
            old = s['nodes'].get(rec['name'])
            if old:
                old.update({k: rec[k] for k in ('ip', 'role', 'version')})
                old['labels'].update(rec['labels'])
                keep_flannel_annotation(old, rec)
            else:
                s['nodes'][rec['name']] = rec
        self.change(apply)
        self.seen[rec['name']] = time.monotonic()

    def status(self, name, renew_time=None):
        """A node's status update and lease renewal: only a registered node's counts."""
        if name not in self.state['nodes']:
            return False
        self.seen[name] = time.monotonic()
        self.renew(name, renew_time or time.time())
        return True

    def renew(self, name, renew_time):
        with self.lock:
            self.leases[name] = renew_time
            write_file(LEASES_FILE, json.dumps({'savedAt': time.time(), 'leases': self.leases}))
        api_event('renewal ' + name)

    def load_leases(self):
        """The leases from before this start; nodes Ready then stay Ready for the grace period (see the header)."""
        if not os.path.exists(LEASES_FILE):
            return
        with open(LEASES_FILE) as f:
            saved = json.load(f)
        self.leases = saved['leases']
        now = time.monotonic()
        for name, renewed in self.leases.items():
            if renewed >= saved['savedAt'] - GRACE_S:
                self.seen[name] = now

    def change(self, fn):
        with self.lock:
            result = fn(self.state)
            self.state['rev'] += 1
            self.save()
        self.replicate()
        return result

    def ready(self, name):
        t = self.seen.get(name)
        return t is not None and time.monotonic() - t < GRACE_S


def api_event(line):
    os.makedirs(os.path.dirname(API_EVENTS), exist_ok=True)
    with open(API_EVENTS, 'a') as f:
        f.write(line + '\n')


def micro_time(t):
    """A metav1.MicroTime as the API writes it: RFC 3339 with microseconds, UTC."""
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t)) + '.%06dZ' % int((t % 1) * 1e6)


def lease_object(name, renewed):
    return {'apiVersion': 'coordination.k8s.io/v1', 'kind': 'Lease', 'metadata': {'name': name, 'namespace': LEASE_NAMESPACE},
            'spec': {'holderIdentity': name, 'leaseDurationSeconds': 40, 'renewTime': micro_time(renewed)}}


def tls_setup(ips, ca=None):
    """Cluster CA (made at --cluster-init, else taken from the cluster) and this server's certificate for its addresses."""
    os.makedirs(TLS_DIR, mode=0o700, exist_ok=True)
    ca_key, ca_crt = TLS_DIR + '/ca.key', TLS_DIR + '/ca.crt'
    if ca:
        write_file(ca_key, ca['key'])
        write_file(ca_crt, ca['crt'], 0o644)
    elif not os.path.exists(ca_crt):
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', ca_key, '-out', ca_crt,
                        '-days', '3650', '-subj', '/CN=k3s-server-ca@standin'], check=True, capture_output=True)
    key, crt, csr = TLS_DIR + '/serving.key', TLS_DIR + '/serving.crt', TLS_DIR + '/serving.csr'
    ext = TLS_DIR + '/serving.ext'
    write_file(ext, 'subjectAltName=DNS:localhost,DNS:kubernetes,%s\n' % ','.join('IP:' + ip for ip in ['127.0.0.1'] + ips))
    subprocess.run(['openssl', 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=k3s'], check=True, capture_output=True)
    subprocess.run(['openssl', 'x509', '-req', '-in', csr, '-CA', ca_crt, '-CAkey', ca_key, '-CAcreateserial', '-out', crt, '-days', '3650', '-extfile', ext], check=True, capture_output=True)
    with open(ca_key) as k, open(ca_crt) as c:
        return {'key': k.read(), 'crt': c.read()}


def write_kubeconfig(ca_crt, admin, mode):
    import base64
    text = (
        'apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: %s\n    server: https://127.0.0.1:6443\n  name: default\n'
        'contexts:\n- context:\n    cluster: default\n    user: default\n  name: default\ncurrent-context: default\npreferences: {}\n'
        'users:\n- name: default\n  user:\n    token: %s\n'
    ) % (base64.b64encode(ca_crt.encode()).decode(), admin)
    write_file(KUBECONFIG, text, mode)


def rfc3339(t):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))


def node_object(cluster, n):
    ready = cluster.ready(n['name'])
    return {
        'apiVersion': 'v1', 'kind': 'Node',
        'metadata': {'name': n['name'], 'labels': dict(n['labels'], **{'kubernetes.io/hostname': n['name']}), 'annotations': n['annotations']},
        'spec': {'unschedulable': True} if n['unschedulable'] else {},
        'status': {
            'conditions': [{'type': 'Ready', 'status': 'True' if ready else 'Unknown', 'reason': 'KubeletReady' if ready else 'NodeStatusUnknown',
                            'lastHeartbeatTime': rfc3339(time.time())}],
            'addresses': [{'type': 'InternalIP', 'address': n['ip']}, {'type': 'Hostname', 'address': n['name']}],
            'nodeInfo': {'kubeletVersion': n['version']},
        },
    }


def make_handler(cluster):
    class Handler(http.server.BaseHTTPRequestHandler):
        timeout = 10  # a client that stalls loses only its own thread

        def setup(self):
            super().setup()
            # The TLS handshake here, in the request's thread (not in accept, where a stalled client would block the server).
            self.request.do_handshake()

        def log_message(self, *a):
            pass

        def reply(self, code, obj):
            body = (obj if isinstance(obj, str) else json.dumps(obj)).encode()
            self.send_response(code)
            self.send_header('Content-Type', 'text/plain' if isinstance(obj, str) else 'application/json')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def body(self):
            return json.loads(self.rfile.read(int(self.headers.get('Content-Length', '0'))) or b'{}')

        def admin(self):
            if self.headers.get('Authorization') == 'Bearer ' + cluster.state['admin']:
                return True
            self.reply(401, {'kind': 'Status', 'status': 'Failure', 'message': 'Unauthorized', 'reason': 'Unauthorized', 'code': 401})
            return False

        def not_found(self, name):
            self.reply(404, {'kind': 'Status', 'status': 'Failure', 'message': 'nodes "%s" not found' % name, 'reason': 'NotFound', 'code': 404})

        def do_GET(self):
            path = self.path.split('?', 1)[0]
            if path in ('/readyz', '/readyz/etcd', '/livez'):
                return self.admin() and self.reply(200, 'ok')
            if path == '/api/v1/nodes':
                if not self.admin():
                    return
                items = [node_object(cluster, n) for n in sorted(cluster.state['nodes'].values(), key=lambda n: n['name'])]
                return self.reply(200, {'apiVersion': 'v1', 'kind': 'NodeList', 'metadata': {}, 'items': items})
            m = re.match(r'^/api/v1/nodes/([^/]+)$', path)
            if m:
                if not self.admin():
                    return
                n = cluster.state['nodes'].get(m.group(1))
                return self.reply(200, node_object(cluster, n)) if n else self.not_found(m.group(1))
            leases = '/apis/coordination.k8s.io/v1/namespaces/%s/leases' % LEASE_NAMESPACE
            if path == leases:
                if not self.admin():
                    return
                api_event('get-leases')
                items = [lease_object(n, t) for n, t in sorted(cluster.leases.items())]
                return self.reply(200, {'apiVersion': 'coordination.k8s.io/v1', 'kind': 'LeaseList', 'metadata': {}, 'items': items})
            if path.startswith(leases + '/'):
                if not self.admin():
                    return
                name = path[len(leases) + 1:]
                if name in cluster.leases:
                    return self.reply(200, lease_object(name, cluster.leases[name]))
                return self.reply(404, {'kind': 'Status', 'status': 'Failure', 'message': 'leases.coordination.k8s.io "%s" not found' % name, 'reason': 'NotFound', 'code': 404})
            if path == '/standin/members':
                return self.admin() and self.reply(200, cluster.state['members'])
            self.reply(404, {'kind': 'Status', 'status': 'Failure', 'message': 'the server could not find the requested resource', 'code': 404})

        def do_POST(self):
            path = self.path
            if path.startswith('/standin/'):
                req = self.body()
                if req.get('token') != cluster.state['token']:
                    return self.reply(401, {'message': 'token rejected'})
                if path == '/standin/join':
                    rec = req['node']
                    if rec['role'] == 'server':
                        def add_member(s):
                            if not any(m['node'] == rec['name'] for m in s['members']):
                                member = '%s-%08x' % (rec['name'], random.getrandbits(32))
                                s['members'].append({'node': rec['name'], 'name': member, 'address': rec['ip']})
                                rec['annotations'].update({NODE_NAME_ANN: member, NODE_ADDRESS_ANN: rec['ip']})
                        cluster.change(add_member)
                    cluster.register(rec)
                    return self.reply(200, {'state': cluster.state, 'ca': cluster.ca})
                if path == '/standin/status':
                    return self.reply(200, {'ok': True}) if cluster.status(req['node']['name'], req.get('renewTime')) else self.not_found(req['node']['name'])
                if path == '/standin/sync':
                    with cluster.lock:
                        if req['state']['rev'] > cluster.state['rev']:
                            cluster.state = req['state']
                            cluster.save()
                    return self.reply(200, {'ok': True})
            m = re.match(r'^/kubectl-standin/(annotate|drain|delete)/([^/]+)$', path)
            if m and self.admin():
                verb, name = m.groups()
                req = self.body()

                def apply(s):
                    n = s['nodes'].get(name)
                    if not n:
                        return False
                    if verb == 'delete':
                        del s['nodes'][name]
                    elif verb == 'drain':
                        n['unschedulable'] = True
                    else:
                        n['annotations'].update(req['annotations'])
                        member_controller(s, n)
                    return True
                found = cluster.change(apply)
                return self.reply(200, {'ok': True}) if found else self.not_found(name)
            if not m:
                self.reply(404, {'message': 'not found'})
    return Handler


def member_controller(state, n):
    """pkg/etcd/member_controller.go sync: remove=true on an etcd node removes its member."""
    ann = n['annotations']
    if n['labels'].get(ETCD_ROLE) is None or REMOVED_ANN in ann or ann.get(REMOVE_ANN, '').lower() != 'true':
        return
    member = ann.get(NODE_NAME_ANN)
    if not member:
        return
    state['members'] = [m for m in state['members'] if m['name'] != member]
    ann[REMOVED_ANN] = member
    ann.pop(NODE_NAME_ANN, None)
    ann.pop(NODE_ADDRESS_ANN, None)


def wait_for(url, what):
    """Retries every 2 s until the server at url accepts what(), as the agent does (pkg/agent/run.go)."""
    while True:
        try:
            return what()
        except (OSError, ValueError) as e:
            error = getattr(e, 'reason', None) or e
        log('Failed to validate connection to cluster at %s: %s' % (url, error))
        time.sleep(2)


def heartbeat(urls, rec, cluster=None):
    """The kubelet's status updates and lease renewals (renewTime from this node's clock), to every
    server (each keeps its own view of who is Ready)."""
    while True:
        renew_time = time.time()
        if cluster:
            cluster.status(rec['name'], renew_time)
            urls = cluster.peers()
        for url in urls:
            try:
                call(url, '/standin/status', {'token': token(), 'node': rec, 'renewTime': renew_time})
            except OSError:
                pass
        time.sleep(HEARTBEAT_S)


def server(args):
    node_password()
    name = flag(args, '--node-name', socket.gethostname())
    ip = chosen_node_ip(args)
    mode = int(flag(args, '--write-kubeconfig-mode', '600'), 8)
    ips = sorted({ip, flag(args, '--advertise-address', ip), flag(args, '--tls-san', ip)})
    cluster = Cluster(name, ip)
    labels = {'node-role.kubernetes.io/control-plane': 'true', 'node-role.kubernetes.io/master': 'true'}
    join_url = flag(args, '--server') or os.environ.get('K3S_URL')
    rec = node_record(name, ip, 'server', labels)
    rec['annotations'][FLANNEL_PUBLIC_IP] = flannel_public_ip(args)
    if cluster.load() is None:
        if join_url:
            # A new server joins the cluster it is given, and takes its state and CA.
            answer = wait_for(join_url, lambda: call(join_url, '/standin/join', {'token': token(), 'node': dict(rec, labels=dict(labels, **{ETCD_ROLE: 'true'}))}))
            cluster.state = answer['state']
            ca = answer['ca']
        else:
            etcd = '--cluster-init' in args
            members = [{'node': name, 'name': '%s-%08x' % (name, random.getrandbits(32)), 'address': ip}] if etcd else []
            if etcd:
                rec['labels'][ETCD_ROLE] = 'true'
                rec['annotations'].update({NODE_NAME_ANN: members[0]['name'], NODE_ADDRESS_ANN: ip})
            cluster.state = {'rev': 0, 'token': token(), 'admin': '%032x' % random.getrandbits(128), 'nodes': {name: rec}, 'members': members}
            ca = None
        cluster.save()
    else:
        ca = None
        # A later start: the datastore flags are ignored; a peer that answers has the newest state.
        for peer in cluster.peers():
            try:
                cluster.state = call(peer, '/standin/join', {'token': cluster.state['token'], 'node': rec})['state']
                cluster.save()
                break
            except (OSError, ValueError):
                pass
    cluster.load_leases()
    cluster.ca = tls_setup(ips, ca)
    write_kubeconfig(cluster.ca['crt'], cluster.state['admin'], mode)
    httpd = http.server.ThreadingHTTPServer(('0.0.0.0', PORT), make_handler(cluster))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(TLS_DIR + '/serving.crt', TLS_DIR + '/serving.key')
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
    cluster.register(rec)
    record_start('server', args)
    log('k3s (stand-in) %s server is up and running' % VERSION)
    notify_ready()
    threading.Thread(target=heartbeat, args=([], rec, cluster), daemon=True).start()
    httpd.serve_forever()


def agent(args):
    node_password()
    url = os.environ.get('K3S_URL') or flag(args, '--server', '')
    rec = node_record(flag(args, '--node-name', socket.gethostname()), chosen_node_ip(args), 'agent')
    rec['annotations'][FLANNEL_PUBLIC_IP] = flannel_public_ip(args)
    answer = wait_for(url, lambda: call(url, '/standin/join', {'token': token(), 'node': rec}))
    servers = ['https://%s:%d' % (n['ip'], PORT) for n in answer['state']['nodes'].values() if n['role'] == 'server']
    record_start('agent', args)
    log('k3s (stand-in) %s agent is up and running' % VERSION)
    notify_ready()
    heartbeat(servers, rec)


# ---- kubectl ----------------------------------------------------------------------------


def jsonpath(template, obj):
    """The subset of kubectl's JSONPath kubelab uses: {.a.b}, {.a[*]}, {.a[?(@.k=="v")].b}, {range …}{end}, {"\\n"}."""
    tokens = re.findall(r'\{((?:[^{}"]|"[^"]*")*)\}|([^{]+)', template)

    def parse(i):
        """Tokens from i up to a matching {end}: a list of ('text'|'expr'|'range', value, children)."""
        items = []
        while i < len(tokens):
            expr, text = tokens[i]
            i += 1
            if text:
                items.append(('text', text, None))
            elif expr == 'end':
                return items, i
            elif expr.startswith('range '):
                body, i = parse(i)
                items.append(('range', expr[6:].strip(), body))
            elif expr.startswith('"'):
                items.append(('text', json.loads(expr), None))
            else:
                items.append(('expr', expr, None))
        return items, i

    def walk(expr, value):
        values = [value]
        for key, bracket, fkey, fval in re.findall(r'\.((?:\\\.|[^.\[])+)|\[(\*|\?\(@\.(\w+)=="([^"]*)"\))\]', expr):
            nxt = []
            for v in values:
                if key:
                    k = key.replace('\\.', '.')
                    if isinstance(v, dict) and k in v:
                        nxt.append(v[k])
                elif isinstance(v, list):
                    nxt.extend(x for x in v if bracket == '*' or (isinstance(x, dict) and str(x.get(fkey)) == fval))
            values = nxt
        return values

    def render(items, value):
        out = ''
        for kind, v, body in items:
            if kind == 'text':
                out += v
            elif kind == 'range':
                out += ''.join(render(body, x) for x in walk(v, value))
            else:
                out += ' '.join(x if isinstance(x, str) else json.dumps(x) for x in walk(v, value))
        return out

    return render(parse(0)[0], obj)


def admin_token():
    with open(KUBECONFIG) as f:
        m = re.search(r'^\s+token: (\S+)$', f.read(), re.M)
    return m.group(1)


def api(path, body=None):
    try:
        return call('https://127.0.0.1:%d' % PORT, path, body, bearer=admin_token(), timeout=10)
    except urllib.error.HTTPError as e:
        detail = json.loads(e.read().decode() or '{}')
        sys.exit('Error from server (%s): %s' % (detail.get('reason', e.code), detail.get('message', '')))
    except (OSError, ValueError):
        sys.exit(REFUSED)


def api_or_absent(path, body, kind, args):
    """One admin API call for the object args[2]; refused: kubectl's NotFound line, or None with --ignore-not-found on a 404."""
    try:
        return call('https://127.0.0.1:%d' % PORT, path, body, bearer=admin_token(), timeout=10)
    except urllib.error.HTTPError as e:
        if e.code == 404 and '--ignore-not-found' in args:
            return None
        sys.exit('Error from server (NotFound): %s "%s" not found' % (kind, args[2]))
    except (OSError, ValueError):
        sys.exit(REFUSED)


def kubectl(args):
    if args[:2] == ['get', '--raw'] and len(args) == 3:
        try:
            print(urllib.request.urlopen(urllib.request.Request('https://127.0.0.1:%d%s' % (PORT, args[2]), headers={'Authorization': 'Bearer ' + admin_token()}),
                                         timeout=10, context=unverified()).read().decode())
        except (OSError, ValueError):
            sys.exit(REFUSED)
        return
    out = flag(args, '-o', '')
    if args[:2] == ['get', 'node'] and len(args) >= 3:
        node = api('/api/v1/nodes/' + args[2])
        if out == 'name':
            print('node/' + args[2])
        elif out.startswith('jsonpath='):
            print(jsonpath(out[len('jsonpath='):], node))
        else:
            print(json.dumps(node))
        return
    if args[:2] == ['get', 'lease'] and len(args) >= 3 and flag(args, '-n') == LEASE_NAMESPACE:
        lease = api_or_absent('/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s' % (LEASE_NAMESPACE, args[2]), None, 'leases.coordination.k8s.io', args)
        if lease is not None:
            print(jsonpath(out[len('jsonpath='):], lease) if out.startswith('jsonpath=') else json.dumps(lease))
        return
    if args[:2] == ['get', 'nodes'] and out.startswith('jsonpath='):
        nodes = api('/api/v1/nodes')
        selector = flag(args, '-l')
        if selector:
            k, v = selector.split('=', 1)
            nodes['items'] = [n for n in nodes['items'] if n['metadata']['labels'].get(k) == v]
        print(jsonpath(out[len('jsonpath='):], nodes))
        return
    if args[:2] == ['annotate', 'node'] and len(args) >= 4:
        annotations = dict(a.split('=', 1) for a in args[3:] if '=' in a and not a.startswith('-'))
        api('/kubectl-standin/annotate/' + args[2], {'annotations': annotations})
        print('node/%s annotated' % args[2])
        return
    if args[:1] == ['drain'] and len(args) >= 2:
        api('/kubectl-standin/drain/' + args[1], {})
        print('node/%s cordoned\nnode/%s drained' % (args[1], args[1]))
        return
    if args[:2] == ['delete', 'node'] and len(args) >= 3:
        if api_or_absent('/kubectl-standin/delete/' + args[2], {}, 'nodes', args) is not None:
            print('node "%s" deleted' % args[2])
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
