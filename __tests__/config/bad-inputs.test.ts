import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, loadLabConfig } from '../../config/load';

/**
 * A table of bad lab configs, each written to a real file and loaded the way `npx kubelab`
 * and synth load it. Every one must give exactly one line that names the field (or the
 * file), the value, and what is allowed — in our words, never the schema library's.
 */
type Content = string | Buffer | ((dir: string) => void);
const json = (o: unknown) => JSON.stringify(o, null, 2);
const n = (name: string, role: string, ip: string, extra: object = {}) => ({ name, role, ip, ...extra });
const nodesWith = (i: number, patch: object) =>
  [n('cp1', 'server', '192.168.56.10'), n('w1', 'agent', '192.168.56.11'), n('w2', 'agent', '192.168.56.12')].map((x, j) => (j === i ? { ...x, ...patch } : x));
const y = (o: unknown) => ({ file: 'kubelab.config.yaml', content: json(o) as Content });
const raw = (file: string, content: Content) => ({ file, content });

const CASES: [string, { file: string; content: Content }, RegExp][] = [
  // sizes
  ['cpus far too many', y({ nodes: nodesWith(0, { cpus: 100000 }) }), /^nodes\[0\]\.cpus = 100000: cpus must be a whole number from 1 to 64$/],
  ['cpus zero', y({ nodes: nodesWith(1, { cpus: 0 }) }), /^nodes\[1\]\.cpus = 0: cpus must be a whole number from 1 to 64$/],
  ['cpus negative', y({ nodes: nodesWith(1, { cpus: -2 }) }), /^nodes\[1\]\.cpus = -2: .*from 1 to 64/],
  ['cpus fractional', y({ nodes: nodesWith(1, { cpus: 1.5 }) }), /^nodes\[1\]\.cpus = 1\.5: .*whole number from 1 to 64/],
  ['cpus as text', y({ nodes: nodesWith(1, { cpus: '2' }) }), /^nodes\[1\]\.cpus = "2": .*whole number from 1 to 64/],
  ['cpus as a list', y({ nodes: nodesWith(1, { cpus: [2] }) }), /^nodes\[1\]\.cpus = a list: .*whole number from 1 to 64/],
  ['cpus null', y({ nodes: nodesWith(1, { cpus: null }) }), /^nodes\[1\]\.cpus = null: .*whole number/],
  ['memory absurd', y({ nodes: nodesWith(0, { memoryMb: 99999999999999 }) }), /^nodes\[0\]\.memoryMb = 99999999999999: memoryMb must be a whole number from 1 to 1048576 \(MB\)$/],
  ['memory as "4G"', y({ nodes: nodesWith(0, { memoryMb: '4G' }) }), /^nodes\[0\]\.memoryMb = "4G": .*whole number .*\(MB\)/],
  ['memory below the server minimum', y({ nodes: nodesWith(0, { memoryMb: 1024 }) }), /^nodes\[0\]\.memoryMb = 1024: is below the K3s minimum for a server: at least 2048/],
  ['memory below the agent minimum', y({ nodes: nodesWith(2, { memoryMb: 300 }) }), /^nodes\[2\]\.memoryMb = 300: .*at least 512/],
  ['server cpus below minimum', y({ nodes: nodesWith(0, { cpus: 1 }) }), /^nodes\[0\]\.cpus = 1: is below the K3s minimum for a server: at least 2/],
  ['disk too small', y({ nodes: nodesWith(1, { diskGb: 5 }) }), /^nodes\[1\]\.diskGb = 5: diskGb must be a whole number from 10 to 2048/],
  ['disk absurd', y({ nodes: nodesWith(1, { diskGb: 1e9 }) }), /^nodes\[1\]\.diskGb = 1000000000: .*from 10 to 2048/],
  ['disk as text', y({ nodes: nodesWith(1, { diskGb: '20GB' }) }), /^nodes\[1\]\.diskGb = "20GB": /],
  // networks and addresses
  ['loopback network', y({ network: { cidr: '127.0.0.0/24', hostIp: '127.0.0.1' }, nodes: [n('cp1', 'server', '127.0.0.10')] }), /^network\.cidr = "127\.0\.0\.0\/24": overlaps the loopback range 127\.0\.0\.0\/8.*pick a private range/],
  ['multicast network', y({ network: { cidr: '224.1.1.0/24', hostIp: '224.1.1.1' }, nodes: [n('cp1', 'server', '224.1.1.10')] }), /^network\.cidr = "224\.1\.1\.0\/24": overlaps the multicast range 224\.0\.0\.0\/4/],
  ['0.0.0.0/8 network', y({ network: { cidr: '0.0.0.0/24', hostIp: '0.0.0.1' }, nodes: [n('cp1', 'server', '0.0.0.10')] }), /^network\.cidr = "0\.0\.0\.0\/24": overlaps 0\.0\.0\.0\/8/],
  ['link-local network', y({ network: { cidr: '169.254.10.0/24', hostIp: '169.254.10.1' }, nodes: [n('cp1', 'server', '169.254.10.10')] }), /^network\.cidr = "169\.254\.10\.0\/24": overlaps the link-local range/],
  ['reserved 240/4 network', y({ network: { cidr: '250.0.0.0/24', hostIp: '250.0.0.1' }, nodes: [n('cp1', 'server', '250.0.0.10')] }), /^network\.cidr = "250\.0\.0\.0\/24": overlaps the reserved range/],
  ['a /8 covering loopback', y({ network: { cidr: '127.0.0.0/8', hostIp: '127.0.0.1' }, nodes: [n('cp1', 'server', '127.0.0.10')] }), /^network\.cidr = "127\.0\.0\.0\/8": overlaps the loopback/],
  ['cidr host bits set', y({ network: { cidr: '192.168.56.1/24' } }), /^network\.cidr = "192\.168\.56\.1\/24": must be a network in CIDR form/],
  ['cidr /31', y({ network: { cidr: '192.168.56.0/31' } }), /^network\.cidr = "192\.168\.56\.0\/31": .*prefix \/8 to \/30/],
  ['cidr without prefix', y({ network: { cidr: '192.168.56.0' } }), /^network\.cidr = "192\.168\.56\.0": must be a network in CIDR form/],
  ['cidr as number', y({ network: { cidr: 24 } }), /^network\.cidr = 24: must be a network in CIDR form/],
  ['hostIp not an address', y({ network: { hostIp: '192.168.56' } }), /^network\.hostIp = "192\.168\.56": must be an IPv4 address like/],
  ['hostIp outside the network', y({ network: { hostIp: '192.168.99.1' } }), /^network\.hostIp = "192\.168\.99\.1": the host address must lie inside network\.cidr/],
  ['network as a string', y({ network: '192.168.56.0/24' }), /^network = "192\.168\.56\.0\/24": must be a mapping with the keys cidr and hostIp$/],
  ['node ip with a leading zero', y({ nodes: nodesWith(1, { ip: '192.168.56.011' }) }), /^nodes\[1\]\.ip = "192\.168\.56\.011": must be an IPv4 address/],
  ['node ip outside', y({ nodes: nodesWith(1, { ip: '10.0.2.15' }) }), /^nodes\[1\]\.ip = "10\.0\.2\.15": the address of node w1 must lie inside/],
  ['node ip the broadcast', y({ nodes: nodesWith(2, { ip: '192.168.56.255' }) }), /^nodes\[2\]\.ip = "192\.168\.56\.255": .*broadcast/],
  ['node ip the host', y({ nodes: nodesWith(0, { ip: '192.168.56.1' }) }), /^nodes\[0\]\.ip = "192\.168\.56\.1": is the host's own address/],
  ['node ip duplicate', y({ nodes: nodesWith(2, { ip: '192.168.56.11' }) }), /^nodes\[2\]\.ip = "192\.168\.56\.11": is already used by nodes\[1\] \(w1\)/],
  ['node ip missing', y({ nodes: [{ name: 'cp1', role: 'server' }] }), /^nodes\[0\]\.ip: is missing; node cp1 needs ip: \(its address on the host-only network\) for its VM, or host: \{ address, user \}/],
  // names, roles, lists
  ['node name upper case', y({ nodes: nodesWith(1, { name: 'W1' }) }), /^nodes\[1\]\.name = "W1": a node name must be a valid hostname: lower-case/],
  ['node name with underscore', y({ nodes: nodesWith(1, { name: 'w_1' }) }), /^nodes\[1\]\.name = "w_1": .*valid hostname/],
  ['node name empty', y({ nodes: nodesWith(1, { name: '' }) }), /^nodes\[1\]\.name = "": .*valid hostname/],
  ['node name a number', y({ nodes: nodesWith(1, { name: 1 }) }), /^nodes\[1\]\.name = 1: .*valid hostname/],
  ['node name duplicate', y({ nodes: nodesWith(2, { name: 'w1' }) }), /^nodes\[2\]\.name = "w1": is already used by nodes\[1\]/],
  ['role unknown', y({ nodes: nodesWith(1, { role: 'worker' }) }), /^nodes\[1\]\.role = "worker": must be 'server' or 'agent'$/],
  ['no server', y({ nodes: [n('w1', 'agent', '192.168.56.11')] }), /^nodes: has no node with role 'server'/],
  ['two servers', y({ nodes: nodesWith(1, { role: 'server' }) }), /^nodes: has 2 servers \(cp1, w1\)/],
  ['nodes empty', y({ nodes: [] }), /^nodes: must list at least one node/],
  ['nodes a mapping', y({ nodes: { cp1: { role: 'server' } } }), /^nodes = a mapping: must be a list of nodes like/],
  ['a node that is a string', y({ nodes: ['cp1'] }), /^nodes\[0\] = "cp1": must be a mapping like \{ name: w1/],
  ['unknown key in a node', y({ nodes: nodesWith(1, { memory: 4096 }) }), /^nodes\[1\]\.memory: unknown key \(a typo\?\); allowed here: name, role, ip, cpus, memoryMb, diskGb, host$/],
  ['lab name upper case', y({ name: 'MyLab' }), /^name = "MyLab": must start with a lower-case letter/],
  ['lab name too long', y({ name: 'a'.repeat(40) }), /^name = "a{40}": .*at most 31 characters/],
  ['lab name a number', y({ name: 7 }), /^name = 7: must start with a lower-case letter/],
  ['unknown top-level key', y({ nodez: [] }), /^nodez: unknown key \(a typo\?\); allowed here: name, network, image, k3s, nodes, proxy, components, registries$/],
  // k3s and image
  ['k3s version without v', y({ k3s: { version: '1.36.4+k3s1' } }), /^k3s\.version = "1\.36\.4\+k3s1": must be a K3s release tag like v1\.36\.4\+k3s1$/],
  ['k3s version latest', y({ k3s: { version: 'latest' } }), /^k3s\.version = "latest": must be a K3s release tag/],
  ['k3s version a number', y({ k3s: { version: 1.36 } }), /^k3s\.version = 1\.36: must be a K3s release tag/],
  ['installer source unknown', y({ k3s: { installer: { source: 'usb' } } }), /^k3s\.installer\.source = "usb": must be 'online' or 'local'$/],
  ['local installer without paths', y({ k3s: { installer: { source: 'local' } } }), /^k3s\.installer: with source: local needs both binary .* and script/],
  ['local installer binary missing', { file: 'kubelab.config.yaml', content: (dir) => { fs.mkdirSync(path.join(dir, 'airgap')); fs.writeFileSync(path.join(dir, 'airgap', 'install.sh'), '#!/bin/sh\n'); fs.writeFileSync(path.join(dir, 'kubelab.config.yaml'), json({ k3s: { installer: { source: 'local', binary: 'airgap/k3s', script: 'airgap/install.sh' } } })); } }, /^k3s\.installer\.binary = "airgap\/k3s" does not exist \(looked for .*airgap.k3s\): give a path relative to the project, or set k3s\.installer\.source: online$/],
  ['local installer binary is a directory', { file: 'kubelab.config.yaml', content: (dir) => { fs.mkdirSync(path.join(dir, 'airgap', 'k3s'), { recursive: true }); fs.writeFileSync(path.join(dir, 'airgap', 'install.sh'), '#!/bin/sh\n'); fs.writeFileSync(path.join(dir, 'kubelab.config.yaml'), json({ k3s: { installer: { source: 'local', binary: 'airgap/k3s', script: 'airgap/install.sh' } } })); } }, /^k3s\.installer\.binary = "airgap\/k3s": is not a file/],
  ['local installer path empty', y({ k3s: { installer: { source: 'local', binary: '', script: 'x' } } }), /^k3s\.installer\.binary = "": must be the path of the k3s binary, relative to the project$/],
  ['image release jammy', y({ image: { release: 'jammy' } }), /^image\.release = "jammy": must be 'noble' \(Ubuntu 24\.04\)/],
  // components
  ['component switch as text', y({ components: { ingress: { enabled: 'yes' } } }), /^components\.ingress\.enabled = "yes": must be true or false$/],
  ['chart version a range', y({ components: { ingress: { chartVersion: '^41' } } }), /^components\.ingress\.chartVersion = "\^41": must be an exact chart version like 1\.2\.3/],
  ['chart version a number', y({ components: { metricsServer: { chartVersion: 3.13 } } }), /^components\.metricsServer\.chartVersion = 3\.13: must be an exact chart version/],
  ['dashboard kind unknown', y({ components: { dashboard: { kind: 'lens' } } }), /^components\.dashboard\.kind = "lens": must be 'headlamp' or 'kubernetes-dashboard'$/],
  ['dashboard without ingress', y({ components: { ingress: { enabled: false }, hpaDemo: { enabled: false } } }), /^components\.dashboard\.enabled = true: needs components\.ingress\.enabled: true/],
  ['component as a boolean', y({ components: { hpaDemo: false } }), /^components\.hpaDemo = false: must be a mapping with the keys enabled$/],
  ['unknown component', y({ components: { dashbord: { enabled: false } } }), /^components\.dashbord: unknown key \(a typo\?\); allowed here: ingress, metricsServer, dashboard, hpaDemo$/],
  // proxy
  ['proxy without scheme', y({ proxy: { http: 'proxy.corp:3128' } }), /^proxy\.http = "proxy\.corp:3128": must start with http:\/\/ or https:\/\//],
  ['proxy not a URL', y({ proxy: { http: 'not a url' } }), /^proxy\.http = "not a url": must be a proxy URL like http:\/\/proxy\.example\.com:3128$/],
  ['proxy with a password', y({ proxy: { http: 'http://me:secret@proxy.corp:3128' } }), /^proxy\.http = "http:\/\/me:secret@proxy\.corp:3128": must not hold a user name or password/],
  ['proxy socks', y({ proxy: { http: 'socks5://proxy.corp:1080' } }), /^proxy\.http = "socks5:\/\/proxy\.corp:1080": must start with http:\/\/ or https:\/\//],
  ['proxy with a path', y({ proxy: { http: 'http://proxy.corp:3128/x' } }), /^proxy\.http = "http:\/\/proxy\.corp:3128\/x": must be only scheme, host and port/],
  ['proxy without http', y({ proxy: { https: 'http://proxy.corp:3128' } }), /^proxy\.http: is missing; must be a proxy URL like/],
  ['noProxy a string', y({ proxy: { http: 'http://p:3128', noProxy: '.corp' } }), /^proxy\.noProxy = "\.corp": must be a list like \[\.corp\.example, 10\.0\.0\.0\/8\]$/],
  ['noProxy entry with a space', y({ proxy: { http: 'http://p:3128', noProxy: ['my host'] } }), /^proxy\.noProxy\[0\] = "my host": must be a host name, a \.domain, an IPv4 address or a CIDR network$/],
  // networks K3s or VirtualBox already use (k3s-io/docs docs/cli/server.md at 02434960: --cluster-cidr
  // default 10.42.0.0/16, --service-cidr default 10.43.0.0/16; VirtualBox NAT on a VM's first
  // adapter: 10.0.2.0/24, the guest 10.0.2.15 — VirtualBox manual, "Network Address Translation", unverified at a tag)
  ['network inside K3s pod network', y({ network: { cidr: '10.42.7.0/24', hostIp: '10.42.7.1' }, nodes: [n('cp1', 'server', '10.42.7.10')] }), /^network\.cidr = "10\.42\.7\.0\/24": overlaps 10\.42\.0\.0\/16 \(.*pod.*\); pick a network outside it, like 192\.168\.56\.0\/24$/],
  ['network inside K3s service network', y({ network: { cidr: '10.43.0.0/24', hostIp: '10.43.0.1' }, nodes: [n('cp1', 'server', '10.43.0.10')] }), /^network\.cidr = "10\.43\.0\.0\/24": overlaps 10\.43\.0\.0\/16 \(.*[Ss]ervice.*\); pick/],
  ['network on VirtualBox NAT', y({ network: { cidr: '10.0.2.0/24', hostIp: '10.0.2.1' }, nodes: [n('cp1', 'server', '10.0.2.10')] }), /^network\.cidr = "10\.0\.2\.0\/24": overlaps 10\.0\.2\.0\/24 \(.*NAT.*\); pick/],
  ['network around all three', y({ network: { cidr: '10.0.0.0/8', hostIp: '10.200.0.1' }, nodes: [n('cp1', 'server', '10.200.0.10')] }), /^network\.cidr = "10\.0\.0\.0\/8": overlaps 10\.0\.2\.0\/24 .*, 10\.42\.0\.0\/16 .* and 10\.43\.0\.0\/16 .*; pick a network outside all of them, like 192\.168\.56\.0\/24$/],
  ['existing host inside K3s pod network', y({ nodes: [{ name: 'pi1', role: 'server', host: { address: '10.42.0.5', user: 'ubuntu' } }] }), /^nodes\[0\]\.host\.address = "10\.42\.0\.5": is inside 10\.42\.0\.0\/16 \(.*pod.*\)/],
  // every wrong value says how to write it right
  ['memory as "2G" says it in MB', y({ nodes: nodesWith(0, { memoryMb: '2G' }) }), /^nodes\[0\]\.memoryMb = "2G": .*; write it in MB as a plain number: memoryMb: 2048$/],
  ['memory as "4096MB"', y({ nodes: nodesWith(0, { memoryMb: '4096MB' }) }), /; write it in MB as a plain number: memoryMb: 4096$/],
  ['memory as 2.5 (GB meant)', y({ nodes: nodesWith(0, { memoryMb: 2.5 }) }), /^nodes\[0\]\.memoryMb = 2\.5: .*; write it in MB as a plain number: memoryMb: 2560$/],
  ['memory quoted', y({ nodes: nodesWith(0, { memoryMb: '4096' }) }), /^nodes\[0\]\.memoryMb = "4096": .*; write the number without quotes: memoryMb: 4096$/],
  ['cpus quoted', y({ nodes: nodesWith(1, { cpus: '2' }) }), /; write the number without quotes: cpus: 2$/],
  ['disk as "20GB"', y({ nodes: nodesWith(1, { diskGb: '20GB' }) }), /; write it in GB as a plain number: diskGb: 20$/],
  ['ssh port quoted', y({ nodes: [{ name: 'pi1', role: 'server', host: { address: '192.168.1.50', user: 'ubuntu', port: '2222' } }] }), /^nodes\[0\]\.host\.port = "2222": .*; write the number without quotes: port: 2222$/],
  ['switch quoted', y({ components: { ingress: { enabled: 'true' } } }), /^components\.ingress\.enabled = "true": must be true or false; write it without quotes: enabled: true$/],
  ['keyFile with Windows backslashes', y({ nodes: [{ name: 'pi1', role: 'server', host: { address: '192.168.1.50', user: 'ubuntu', keyFile: 'ssh\\pi_key' } }] }), /^nodes\[0\]\.host\.keyFile = "ssh\\\\pi_key": .*; write \/ instead of \\: keyFile: ssh\/pi_key$/],
  ['a node key indented under network', y({ network: { cidr: '192.168.56.0/24', hostIp: '192.168.56.1', memoryMb: 4096 } }), /^network\.memoryMb: unknown key \(a typo\?\); allowed here: cidr, hostIp; memoryMb belongs under nodes\[\]: indent it there$/],
  ['chartVersion one level too high', y({ components: { chartVersion: '41.3.0' } }), /^components\.chartVersion: unknown key .*; chartVersion belongs under components\.ingress, components\.metricsServer or components\.dashboard: indent it under one of them$/],
  ['nodes indented under k3s', y({ k3s: { nodes: [] } }), /^k3s\.nodes: unknown key .*; nodes belongs at the top level: move it out of k3s, to the start of the line$/],
  // hostnames and reserved names
  ['lab name ending in a dash', y({ name: 'lab-' }), /^name = "lab-": must start with a lower-case letter, end with a letter or digit/],
  ['lab name reserved (K3s names its own kubeconfig entries default)', y({ name: 'default' }), /^name = "default": is reserved: .*kubeconfig.*; pick another name, like kubelab$/],
  ['node name localhost', y({ nodes: nodesWith(1, { name: 'localhost' }) }), /^nodes\[1\]\.name = "localhost": is reserved: .*; allowed: any other hostname, e\.g\. cp1, w1$/],
  ['node name base', y({ nodes: nodesWith(2, { name: 'base' }) }), /^nodes\[2\]\.name = "base": is reserved/],
  // keys the chosen mode would silently ignore
  ['local installer path with source online', y({ k3s: { installer: { source: 'online', binary: 'airgap/k3s' } } }), /^k3s\.installer\.binary = "airgap\/k3s": is used only with k3s\.installer\.source: local; remove it, or set source: local$/],
  ['network with only existing machines', y({ network: { cidr: '192.168.57.0/24', hostIp: '192.168.57.1' }, nodes: [{ name: 'pi1', role: 'server', host: { address: '192.168.1.50', user: 'ubuntu' } }] }), /^network: is used only for VirtualBox VMs, and every node here is an existing machine \(host:\); remove network$/],
  // the file itself
  ['empty file', raw('kubelab.config.yaml', ''), /^is empty; put the keys you want to change in it/],
  ['only whitespace and a BOM', raw('kubelab.config.yaml', Buffer.from('\ufeff  \n', 'utf8')), /^is empty/],
  ['a directory', { file: 'kubelab.config.yaml', content: (dir) => fs.mkdirSync(path.join(dir, 'kubelab.config.yaml')) }, /^is a directory, not a file/],
  ['a dangling symbolic link', { file: 'kubelab.config.yaml', content: (dir) => fs.symlinkSync('gone.yaml', path.join(dir, 'kubelab.config.yaml')) }, /^is a symbolic link to gone\.yaml, which does not exist; fix the link or delete kubelab\.config\.yaml$/],
  ['a symbolic link loop (unreadable)', { file: 'kubelab.config.yaml', content: (dir) => fs.symlinkSync('kubelab.config.yaml', path.join(dir, 'kubelab.config.yaml')) }, /^cannot be read \(ELOOP\); check its permissions/],
  ['YAML duplicate key', raw('kubelab.config.yaml', 'name: a\nname: b\n'), /^line 2, column 1: the key name appears twice in the same mapping; keep one/],
  ['JSON duplicate key', raw('kubelab.config.json', '{\n  "name": "a",\n  "name": "b"\n}\n'), /^line 3, column 3: the key "name" appears twice/],
  ['JSON duplicate key in a node', raw('kubelab.config.json', json({ nodes: [{ name: 'cp1' }] }).replace('"name": "cp1"', '"name": "cp1", "name": "cp2"')), /^line \d+, column \d+: the key "name" appears twice/],
  ['JSON __proto__', raw('kubelab.config.json', '{"__proto__": {"name": "x"}}'), /^line 1: key "__proto__" is not allowed/],
  ['YAML __proto__ in components', raw('kubelab.config.yaml', 'components:\n  __proto__:\n    polluted: true\n'), /^line 2: key "__proto__" is not allowed/],
  ['YAML constructor key', raw('kubelab.config.yaml', 'constructor: {}\n'), /^line 1: key "constructor" is not allowed/],
  ['YAML that does not parse', raw('kubelab.config.yaml', 'nodes: [\n'), /^cannot be parsed as YAML at line \d+, column \d+: /],
  ['JSON with a trailing comma and bad quoting', raw('kubelab.config.json', "{'name': 'x',}"), /^cannot be parsed as JSON: /],
  ['a list at the top', raw('kubelab.config.yaml', '- cp1\n- w1\n'), /^must be a mapping of keys \(like name:, nodes:\), not a list$/],
  ['a scalar at the top', raw('kubelab.config.yaml', 'just text\n'), /^must be a mapping of keys \(like name:, nodes:\), not a string$/],
  ['only comments', raw('kubelab.config.yaml', '# name: mylab\n#nodes: []\n'), /^holds only comments, so the built-in default would apply unchanged; uncomment the keys you want to change, or delete the file to use the default on purpose$/],
  ['an alias with no anchor', raw('kubelab.config.yaml', 'name: *lab\n'), /^line 1, column 7: the alias \*lab refers to no anchor &lab before it; write the value out \(or define &lab first\)$/],
  ['aliases that expand without end', raw('kubelab.config.yaml', ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefg'[i]}`).join(', ')}]`)].join('\n')), /^uses aliases \(\*name\) that expand to too much data; write the values out instead$/],
  ['an unknown YAML tag', raw('kubelab.config.yaml', 'name: !lab mylab\n'), /^line 1, column 7: the tag !lab means nothing to kubelab; remove it and write the value plainly$/],
  ['a YAML merge key', raw('kubelab.config.yaml', 'x: &s { role: agent }\nnodes:\n  - { <<: *s, name: w1, ip: 192.168.56.11 }\n'), /^line 3: the merge key << is not supported \(YAML 1\.2 has none\); write the keys out$/],
  ['a mapping as a key', raw('kubelab.config.yaml', '? {a: 1}\n: x\n'), /^line 1: a key must be plain text/],
];

describe('a table of bad lab configs, each one line naming field, value and what is allowed', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-bad-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the table holds at least 60 bad inputs', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  test.each(CASES)('%s', (_what, { file, content }, expected) => {
    if (typeof content === 'function') content(dir);
    else fs.writeFileSync(path.join(dir, file), content);
    let error: unknown;
    try {
      loadLabConfig(dir, { cpus: 64, memoryMb: 1_048_576 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, source } = error as ConfigError;
    expect(source).toBe(file);
    expect(problems).toHaveLength(1);
    expect(problems[0]).not.toContain('\n');
    expect(problems[0]).toMatch(expected);
    // no schema-library wording
    expect(problems[0]).not.toMatch(/Invalid input|Invalid option|expected \w+, received|Too (big|small)|Unrecognized key/);
  });
});

describe('files as Windows editors and shells write them', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-enc-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const yamlText = 'name: lab2\nnodes:\n  - { name: cp1, role: server, ip: 192.168.56.10 }\n';

  test.each<[string, string, Buffer]>([
    ['UTF-8 JSON with a byte-order mark (PowerShell 5.1 Set-Content -Encoding UTF8)', 'kubelab.config.json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name":"lab2"}')])],
    ['UTF-16LE YAML with a byte-order mark (PowerShell 5.1 `>` and Out-File)', 'kubelab.config.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(yamlText, 'utf16le')])],
    ['UTF-16BE YAML with a byte-order mark', 'kubelab.config.yaml', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(yamlText, 'utf16le').swap16()])],
    ['UTF-8 YAML with CRLF line ends', 'kubelab.config.yaml', Buffer.from(yamlText.replace(/\n/g, '\r\n'))],
  ])('%s is read correctly', (_what, file, bytes) => {
    fs.writeFileSync(path.join(dir, file), bytes);
    expect(loadLabConfig(dir).config.name).toBe('lab2');
  });
});

describe('sizes against this host are warnings, not errors', () => {
  test('a node with more CPUs than the host, or more memory in all than it has, is said plainly; the config still loads', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-host-'));
    try {
      fs.writeFileSync(path.join(dir, 'kubelab.config.yaml'), json({ nodes: nodesWith(0, { cpus: 8, memoryMb: 6144 }) }));
      const { warnings } = loadLabConfig(dir, { cpus: 4, memoryMb: 8192 });
      expect(warnings).toEqual([
        expect.stringMatching(/^nodes cp1: cpus 8 is more than this host's 4 logical CPUs/),
        expect.stringMatching(/^the nodes ask for 10240 MB of memory in all; this host has 8192 MB/),
      ]);
      expect(loadLabConfig(dir, { cpus: 16, memoryMb: 65536 }).warnings).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('names that are only Object properties in JavaScript are ordinary names', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-names-'));
    try {
      fs.writeFileSync(path.join(dir, 'kubelab.config.yaml'), json({ name: 'constructor', nodes: nodesWith(1, { name: 'constructor' }) }));
      expect(loadLabConfig(dir).config.nodes[1].name).toBe('constructor');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('local installer files that exist pass validation', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-local-'));
    try {
      fs.mkdirSync(path.join(dir, 'airgap'));
      fs.writeFileSync(path.join(dir, 'airgap', 'k3s'), 'binary');
      fs.writeFileSync(path.join(dir, 'airgap', 'install.sh'), '#!/bin/sh\n');
      fs.writeFileSync(path.join(dir, 'kubelab.config.yaml'), json({ k3s: { installer: { source: 'local', binary: 'airgap/k3s', script: 'airgap/install.sh' } } }));
      expect(loadLabConfig(dir).config.k3s.installer.source).toBe('local');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a chart version other than the pin loads, with a warning that says how to go back', () => {
  test.each([
    ['ingress', { ingress: { chartVersion: '41.4.0' } }, /^components\.ingress\.chartVersion 41\.4\.0 is not the pinned \d+\.\d+\.\d+: .* Write chartVersion: "\d+\.\d+\.\d+" \(or remove it\) unless you mean to try 41\.4\.0\.$/],
    ['dashboard', { dashboard: { chartVersion: '0.1.0' } }, /^components\.dashboard\.chartVersion 0\.1\.0 is not the pinned /],
  ])('%s', (_what, components, expected) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-chart-'));
    try {
      fs.writeFileSync(path.join(dir, 'kubelab.config.yaml'), json({ components }));
      expect(loadLabConfig(dir, { cpus: 64, memoryMb: 1_048_576 }).warnings).toEqual([expect.stringMatching(expected)]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a key of a switched-off component is said to do nothing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-chart-'));
    try {
      fs.writeFileSync(path.join(dir, 'kubelab.config.yaml'), json({ components: { dashboard: { enabled: false, kind: 'kubernetes-dashboard' } } }));
      expect(loadLabConfig(dir, { cpus: 64, memoryMb: 1_048_576 }).warnings).toEqual([
        'components.dashboard.kind is ignored while components.dashboard.enabled is false; remove it, or set enabled: true to use it',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the pinned versions warn about nothing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-chart-'));
    try {
      expect(loadLabConfig(dir, { cpus: 64, memoryMb: 1_048_576 }).warnings).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
