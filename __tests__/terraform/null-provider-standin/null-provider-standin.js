#!/usr/bin/env node
'use strict';
/**
 * STAND-IN for the hashicorp/null provider (v3.2.4), for kubelab's tests only: the real
 * provider cannot be downloaded on the machines that build and test kubelab. It is never
 * offered to lab users; `npm run test:terraform` serves it to the real terraform binary
 * through a CLI config with a filesystem_mirror made in a temp dir.
 *
 * What it does, and where each behaviour comes from (read, not remembered):
 * - Start-up and handshake, hashicorp/go-plugin v1.6.2: server.go refuses to run without
 *   the magic cookie, reads PLUGIN_PROTOCOL_VERSIONS, and prints one line
 *   `CORE|APP|NETWORK|ADDR|PROTOCOL|CERT` ("%d|%d|%s|%s|%s|%s") with core protocol 1;
 *   CERT is the server's DER certificate in base64.RawStdEncoding (no padding), which
 *   client.go loadServerCert decodes and trusts as the only root.
 * - AutoMTLS, go-plugin v1.6.2 server.go + mtls.go: the host passes its certificate PEM in
 *   PLUGIN_CLIENT_CERT; the server makes an ephemeral self-signed CA certificate for
 *   "localhost" (client and server auth) and requires and verifies the client certificate
 *   against that PEM only. (go-plugin makes an ECDSA P-521 key; this stand-in uses RSA 2048
 *   because node-forge signs only with RSA; Go's TLS client accepts either.)
 * - Services, go-plugin v1.6.2 grpc_server.go: grpc.health.v1 Health with service "plugin"
 *   SERVING, GRPCBroker, GRPCController (Shutdown ends the process) and GRPCStdio.
 * - Terraform's magic cookie: hashicorp/terraform internal/plugin/serve.go (Handshake:
 *   MagicCookieKey TF_PLUGIN_MAGIC_COOKIE) — its value is checked only for presence here
 *   (unverified against the tag: the value is not repeated in this file).
 * - Protocol 5 messages: ./tfplugin5.proto (subset written from Terraform's
 *   docs/plugin-protocol/tfplugin5.proto). DynamicValues are msgpack as go-cty
 *   cty/msgpack writes them; an unknown value is the extension type 0 (`d4 00 00`, or
 *   type 0x0c with refinements), see go-cty cty/msgpack/unknown.go.
 * - null_resource, terraform-provider-null internal/provider/resource.go and
 *   internal/planmodifiers/attribute.go (read at commit 01626ec, main; not confirmed at the
 *   v3.2.4 tag): `triggers` map(string) optional, a change forces replacement
 *   (RequiresReplaceIfValuesNotNull); `id` computed, unknown until create, then
 *   fmt.Sprintf("%d", rand.Int()), kept from state otherwise (UseStateForUnknown).
 *   Read, Update and Delete do nothing. The null_data_source is not served.
 *
 * With KUBELAB_PROVIDER_STANDIN=kubernetes or helm it stands in, for the joined guest suite
 * (`npm run test:joined`), for the providers of the lab's chart stacks when those stacks are
 * empty (every component off): the provider configuration is accepted, no resource type is
 * served. The configuration kubelab writes: hashicorp/kubernetes 2.38.0 `config_path` and
 * `config_context` strings (terraform-provider-kubernetes, docs/index.md "File config"), and
 * hashicorp/helm 3.1.1 `kubernetes` as an attribute object of those two (terraform-provider-helm
 * docs/guides/v3-upgrade-guide.md: the kubernetes block became an attribute). Unverified at the tags.
 */
const crypto = require('crypto');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const forge = require('node-forge');
const { ExtensionCodec, decode, encode } = require('@msgpack/msgpack');

const CORE_PROTOCOL_VERSION = 1;
const APP_PROTOCOL_VERSION = 5;

function fail(message) {
  process.stderr.write(`null provider stand-in: ${message}\n`);
  process.exit(1);
}

if (!process.env.TF_PLUGIN_MAGIC_COOKIE) {
  fail('this is a plugin for Terraform (a test stand-in of hashicorp/null); Terraform starts it, not you');
}
const offered = (process.env.PLUGIN_PROTOCOL_VERSIONS || String(APP_PROTOCOL_VERSION)).split(',').map(Number);
if (!offered.includes(APP_PROTOCOL_VERSION)) fail(`Terraform offers plugin protocols ${offered.join(', ')}; this stand-in speaks only ${APP_PROTOCOL_VERSION}`);
const clientCert = process.env.PLUGIN_CLIENT_CERT;
if (!clientCert) fail('PLUGIN_CLIENT_CERT is not set: this stand-in serves only with AutoMTLS, as Terraform runs plugins');

// ---- values ---------------------------------------------------------------------------

/** A cty unknown value. */
const UNKNOWN = Symbol('unknown');
const codec = new ExtensionCodec();
codec.register({
  type: 0,
  encode: (v) => (v === UNKNOWN ? new Uint8Array([0]) : null),
  decode: () => UNKNOWN,
});
codec.register({ type: 0x0c, encode: () => null, decode: () => UNKNOWN });

const fromDynamic = (dv) => (dv && dv.msgpack && dv.msgpack.length ? decode(dv.msgpack, { extensionCodec: codec }) : null);
const toDynamic = (value) => ({ msgpack: Buffer.from(encode(value, { extensionCodec: codec })) });
/** A null_resource object with both attributes, as its schema requires. */
const nullResource = (triggers, id) => ({ id, triggers: triggers === undefined ? null : triggers });

const isNull = (v) => v === null || v === undefined;
const sameValue = (a, b) => a !== UNKNOWN && b !== UNKNOWN && a === b;

/** resource.go + planmodifiers/attribute.go: whether a triggers change forces replacement. */
function triggersRequireReplace(state, config) {
  if (config === UNKNOWN) return true;
  const cfg = config || {};
  if (isNull(state)) return Object.values(cfg).some((v) => !isNull(v));
  for (const [key, value] of Object.entries(cfg)) {
    if (!(key in state) && isNull(value)) continue;
    if (!sameValue(value, state[key])) return true;
  }
  return Object.keys(state).some((key) => !(key in cfg));
}

/** Go's rand.Int(): a non-negative int63, printed in decimal. */
const randomId = () => (BigInt.asUintN(63, crypto.randomBytes(8).readBigUInt64BE())).toString();

// ---- tfplugin5.Provider -----------------------------------------------------------------

const stringType = Buffer.from(JSON.stringify('string'));
const mapOfStringType = Buffer.from(JSON.stringify(['map', 'string']));
const NULL_RESOURCE_SCHEMA = {
  version: 0,
  block: {
    version: 0,
    description: 'STAND-IN of null_resource (kubelab tests)',
    attributes: [
      { name: 'id', type: stringType, description: 'This is set to a random value at create time.', computed: true },
      { name: 'triggers', type: mapOfStringType, description: 'A map of arbitrary strings that, when changed, will force the null resource to be replaced.', optional: true },
    ],
  },
};

const unary = (fn) => (call, callback) => {
  try {
    callback(null, fn(call.request));
  } catch (err) {
    callback({ code: grpc.status.INTERNAL, details: `null provider stand-in: ${err && err.stack ? err.stack : err}` });
  }
};

function unknownType(typeName) {
  return { diagnostics: [{ severity: 1, summary: `the null provider stand-in serves only null_resource, not ${typeName}` }] };
}

const kubeconfigAttributes = { config_path: 'string', config_context: 'string' };
const typeJson = (t) => Buffer.from(JSON.stringify(t));
/** The provider configuration each stood-in provider accepts (see the header). */
const PROVIDER_CONFIG = {
  null: [],
  kubernetes: Object.entries(kubeconfigAttributes).map(([name, t]) => ({ name, type: typeJson(t), optional: true })),
  helm: [{ name: 'kubernetes', type: typeJson(['object', kubeconfigAttributes]), optional: true }],
};
const SERVED = process.env.KUBELAB_PROVIDER_STANDIN || 'null';
if (!PROVIDER_CONFIG[SERVED]) fail(`KUBELAB_PROVIDER_STANDIN=${SERVED}: this stand-in serves null, kubernetes or helm`);

const provider = {
  GetSchema: unary(() => ({
    provider: { version: 0, block: { version: 0, attributes: PROVIDER_CONFIG[SERVED] } },
    resource_schemas: SERVED === 'null' ? { null_resource: NULL_RESOURCE_SCHEMA } : {},
    data_source_schemas: {},
    server_capabilities: { plan_destroy: true, get_provider_schema_optional: false },
  })),
  PrepareProviderConfig: unary((req) => ({ prepared_config: req.config })),
  ValidateResourceTypeConfig: unary((req) => (SERVED === 'null' && req.type_name === 'null_resource' ? {} : unknownType(req.type_name))),
  ValidateDataSourceConfig: unary((req) => unknownType(req.type_name)),
  Configure: unary(() => ({})),
  UpgradeResourceState: unary((req) => {
    if (req.type_name !== 'null_resource') return unknownType(req.type_name);
    const raw = req.raw_state && req.raw_state.json && req.raw_state.json.length ? JSON.parse(Buffer.from(req.raw_state.json).toString('utf8')) : {};
    return { upgraded_state: toDynamic(nullResource(raw.triggers, raw.id === undefined ? null : raw.id)) };
  }),
  ReadResource: unary((req) => ({ new_state: req.current_state, private: req.private })),
  PlanResourceChange: unary((req) => {
    const prior = fromDynamic(req.prior_state);
    const proposed = fromDynamic(req.proposed_new_state);
    if (isNull(proposed)) return { planned_state: toDynamic(null) };
    if (isNull(prior)) return { planned_state: toDynamic(nullResource(proposed.triggers, UNKNOWN)) };
    const replace = triggersRequireReplace(prior.triggers, proposed.triggers);
    return {
      planned_state: toDynamic(nullResource(proposed.triggers, replace ? UNKNOWN : prior.id)),
      requires_replace: replace ? [{ steps: [{ attribute_name: 'triggers' }] }] : [],
      planned_private: req.prior_private,
    };
  }),
  ApplyResourceChange: unary((req) => {
    const planned = fromDynamic(req.planned_state);
    if (isNull(planned)) return { new_state: toDynamic(null) };
    return { new_state: toDynamic(nullResource(planned.triggers, planned.id === UNKNOWN || isNull(planned.id) ? randomId() : planned.id)), private: req.planned_private };
  }),
  Stop: unary(() => ({})),
};

// ---- go-plugin services -----------------------------------------------------------------

const load = (file) =>
  grpc.loadPackageDefinition(protoLoader.loadSync(path.join(__dirname, file), { keepCase: true, longs: Number, enums: Number, defaults: false, oneofs: true }));
const tfplugin5 = load('tfplugin5.proto').tfplugin5;
const goPlugin = load('go-plugin.proto').plugin;
const health = load('health.proto').grpc.health.v1;

const server = new grpc.Server();
server.addService(tfplugin5.Provider.service, provider);
server.addService(health.Health.service, {
  Check: unary((req) => ({ status: req.service === '' || req.service === 'plugin' ? 1 : 0 })),
});
// The host opens these streams and keeps them; this stand-in has nothing to send on them.
const holdOpen = (call) => call.on('cancelled', () => call.end());
server.addService(goPlugin.GRPCBroker.service, { StartStream: holdOpen });
server.addService(goPlugin.GRPCStdio.service, { StreamStdio: holdOpen });
server.addService(goPlugin.GRPCController.service, {
  Shutdown: (call, callback) => {
    callback(null, {});
    setTimeout(() => process.exit(0), 10);
  },
});

// ---- AutoMTLS certificate (go-plugin mtls.go generateCert, but RSA) ----------------------

function ephemeralServerCert() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }));
  cert.serialNumber = '01' + crypto.randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 30_000);
  cert.validity.notAfter = new Date(Date.now() + 262980 * 3600_000);
  const name = [
    { name: 'commonName', value: 'localhost' },
    { name: 'organizationName', value: 'HashiCorp' },
  ];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyAgreement: true, keyCertSign: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true, serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] },
  ]);
  const forgeKey = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }));
  cert.sign(forgeKey, forge.md.sha256.create());
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { certPem: forge.pki.certificateToPem(cert), keyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }), der };
}

const { certPem, keyPem, der } = ephemeralServerCert();
const credentials = grpc.ServerCredentials.createSsl(Buffer.from(clientCert), [{ private_key: Buffer.from(keyPem), cert_chain: Buffer.from(certPem) }], true);
server.bindAsync('127.0.0.1:0', credentials, (err, port) => {
  if (err) fail(`cannot listen on 127.0.0.1: ${err.message}`);
  const rawStdBase64 = der.toString('base64').replace(/=+$/, '');
  process.stdout.write(`${CORE_PROTOCOL_VERSION}|${APP_PROTOCOL_VERSION}|tcp|127.0.0.1:${port}|grpc|${rawStdBase64}\n`);
});
// Terraform ends plugins with GRPCController.Shutdown, or kills them.
process.on('SIGTERM', () => process.exit(0));
