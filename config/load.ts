import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isMap, isNode, isScalar, parseDocument, visit } from 'yaml';
import { z } from 'zod';
import { DEFAULT_LAB_CONFIG } from './defaults';
import { HostResources, LabConfig, configWarnings, labConfigSchema, localInstallerProblems, vmNodes, withNodeDefaults } from './lab-config';

/** File names a user may put in the project root, in the order they are looked for. */
export const CONFIG_FILE_NAMES = ['kubelab.config.yaml', 'kubelab.config.yml', 'kubelab.config.json'] as const;

/** A lab config that cannot be used; `problems` holds one line per bad value. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source} is not a valid kubelab configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadedLabConfig {
  readonly config: LabConfig;
  readonly warnings: readonly string[];
  /** The file the overrides came from, relative to the project, or "built-in default". */
  readonly source: string;
}

export interface ResolveOptions {
  /** Where relative paths in the config (local installer files) are looked up; unchecked without it. */
  readonly projectDir?: string;
  /** This host's CPUs and memory, for warnings about sizes it cannot give; no such warnings without it. */
  readonly host?: HostResources;
}

/** The CPUs and memory of the machine this runs on. */
export function thisHost(): HostResources {
  return { cpus: os.cpus().length, memoryMb: Math.floor(os.totalmem() / 1048576) };
}

/** Reads kubelab.config.{yaml,yml,json} from the project dir (if any) over the built-in default. */
export function loadLabConfig(projectDir: string, host: HostResources = thisHost()): LoadedLabConfig {
  // lstat, so a dangling symbolic link counts as present (and is then reported), not as "no file".
  const present = CONFIG_FILE_NAMES.filter((f) => lstatOrUndefined(path.join(projectDir, f)) !== undefined);
  if (present.length > 1) {
    throw new ConfigError(present.join(' and '), [`found ${present.join(' and ')}: keep exactly one lab config file and delete the other`]);
  }
  if (present.length === 0) return resolveLabConfig({}, 'built-in default', { projectDir, host });
  const file = present[0];
  const overrides = parseConfigText(readConfigFile(path.join(projectDir, file), file), file);
  return resolveLabConfig(overrides, file, { projectDir, host });
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

/** The file's text; a directory, a dangling link or an unreadable file is one line naming it. */
function readConfigFile(full: string, file: string): string {
  let bytes: Buffer;
  try {
    const st = fs.statSync(full);
    if (st.isDirectory()) throw new ConfigError(file, [`is a directory, not a file; remove it or put the config in a file of that name`]);
    bytes = fs.readFileSync(full);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') {
      throw new ConfigError(file, [`is a symbolic link to ${fs.readlinkSync(full)}, which does not exist; fix the link or delete ${file}`]);
    }
    throw new ConfigError(file, [`cannot be read (${e.code ?? e.message}); check its permissions, or delete it to use the built-in default`]);
  }
  const text = decodeText(bytes);
  if (text.trim() === '') throw new ConfigError(file, ['is empty; put the keys you want to change in it (see README, "Configuration"), or delete it to use the built-in default']);
  return text;
}

/**
 * Text as editors on Windows save it too: UTF-8 with or without a byte-order mark, and
 * UTF-16 (little- or big-endian, with a BOM, as Windows PowerShell 5.1's `>` and Out-File write it).
 */
export function decodeText(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return Buffer.from(bytes.subarray(2)).swap16().toString('utf16le');
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Parses YAML or JSON (JSON is read as the YAML 1.2 it is, so both get the same checks):
 * duplicate keys and `__proto__` are refused with their line, not silently resolved.
 */
export function parseConfigText(written: string, file: string): unknown {
  // A carriage return alone ends a line in YAML 1.2 (5.4, b-break) and is whitespace in JSON; yaml 2.9.1
  // reads it as neither. One character for one, so every offset below still points where it did.
  const text = written.replace(/\r(?!\n)/g, '\n');
  if (file.endsWith('.json')) {
    try {
      JSON.parse(text); // JSON's own syntax first: YAML would accept 'single quotes' and trailing commas
    } catch (err) {
      throw new ConfigError(file, [`cannot be parsed as JSON: ${(err as Error).message.split('\n')[0]}`]);
    }
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const problems: string[] = [];
  for (const err of doc.errors) {
    const where = `line ${lineOf(text, err.pos[0])}, column ${columnOf(text, err.pos[0])}`;
    if (err.code === 'DUPLICATE_KEY') {
      const key = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:\s,}]+)/.exec(text.slice(err.pos[0]))?.[1];
      problems.push(`${where}: ${key ? `the key ${key}` : 'an empty key'} appears twice in the same mapping; keep one (each key is allowed once)`);
    } else {
      // Stryker disable next-line MethodExpression,StringLiteral: no JSON text is known that JSON.parse takes and yaml 2.9.1 refuses (a lone CR was one, now a line end), so a .json file never got here in a test
      const syntax = file.endsWith('.json') ? 'JSON' : 'YAML';
      problems.push(`cannot be parsed as ${syntax} at ${where}: ${err.message.split('\n')[0]}`); // prettyErrors: false, so no position of yaml's own in it
    }
  }
  for (const warning of doc.warnings) {
    // An unknown tag (!foo) is dropped silently by the parser: the value would not mean what was written.
    if (warning.code === 'TAG_RESOLVE_FAILED') {
      // Stryker disable next-line StringLiteral: yaml 2.9.1 words this warning "Unresolved tag: <tag>" (dist/compose/compose-scalar.js, compose-collection.js) unless a compat schema is set, and none is
      const tag = /tag: (\S+)/.exec(warning.message)?.[1] ?? 'a tag';
      problems.push(`line ${lineOf(text, warning.pos[0])}, column ${columnOf(text, warning.pos[0])}: the tag ${tag} means nothing to kubelab; remove it and write the value plainly`);
    }
  }
  visit(doc, {
    Alias(_, alias) {
      // An alias must follow its anchor; the parser only finds out when it builds the value.
      if (alias.resolve(doc) === undefined) {
        // Nodes parsed from text always carry their range.
        const at = `line ${lineOf(text, alias.range![0])}, column ${columnOf(text, alias.range![0])}: `;
        problems.push(`${at}the alias *${alias.source} refers to no anchor &${alias.source} before it; write the value out (or define &${alias.source} first)`);
      }
    },
    Pair(_, pair) {
      // YAML 1.1's merge key, of an alias (<<: *base) or written out (<<: { role: agent }).
      if (isScalar(pair.key) && pair.key.value === '<<') {
        problems.push(`line ${lineOf(text, pair.key.range![0])}: the merge key << is not supported (YAML 1.2 has none); write the keys out`);
        return;
      }
      if (isScalar(pair.key) && (pair.key.value === '__proto__' || pair.key.value === 'constructor' || pair.key.value === 'prototype')) {
        problems.push(`line ${lineOf(text, pair.key.range![0])}: key "${String(pair.key.value)}" is not allowed (it is not a kubelab setting)`);
      } else if (isNode(pair.key) && !isScalar(pair.key)) {
        problems.push(`line ${lineOf(text, pair.key.range![0])}: a key must be plain text, not a list or mapping`);
      }
    },
  });
  if (problems.length > 0) throw new ConfigError(file, problems);
  if (doc.contents === null) {
    throw new ConfigError(file, ['holds only comments, so the built-in default would apply unchanged; uncomment the keys you want to change, or delete the file to use the default on purpose']);
  }
  if (!isMap(doc.contents)) {
    throw new ConfigError(file, [`must be a mapping of keys (like name:, nodes:), not ${describe(doc.toJS())}`]);
  }
  try {
    // Stryker disable next-line ObjectLiteral: equivalent: yaml 2.9.1's toJS takes 100 when not told (dist/doc/Document.js); written out so an upgrade cannot lift the guard unseen
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // yaml's guard against an "alias bomb" (a few lines that expand to millions of values).
    // Stryker disable next-line ConditionalExpression: equivalent when true: for a document that passed the checks above, toJS throws only yaml's alias-count ReferenceError (dist/nodes/Alias.js)
    if (err instanceof ReferenceError && /alias/i.test(err.message)) throw new ConfigError(file, ['uses aliases (*name) that expand to too much data; write the values out instead']);
    throw err;
  }
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

function columnOf(text: string, offset: number): number {
  return offset - text.lastIndexOf('\n', offset - 1);
}

/** Validates user overrides laid over the built-in default. Objects merge key by key; lists (nodes) replace. */
export function resolveLabConfig(overrides: unknown, source = 'config', options: ResolveOptions = {}): LoadedLabConfig {
  if (!isPlainObject(overrides)) {
    throw new ConfigError(source, [`must be a mapping of keys (like name:, nodes:), not ${describe(overrides)}`]);
  }
  const merged = deepMerge(DEFAULT_LAB_CONFIG, overrides);
  const result = labConfigSchema.safeParse(merged, { error: fallbackMessage });
  if (!result.success) {
    throw new ConfigError(source, result.error.issues.map((issue) => formatIssue(issue, merged)));
  }
  const config = withNodeDefaults(result.data);
  if (vmNodes(config).length === 0) {
    // Only VMs use these; a lab of existing machines would silently ignore them.
    const unused = (['network', 'image'] as const).filter((key) => key in overrides);
    if (unused.length > 0) {
      throw new ConfigError(source, unused.map((key) => `${key}: is used only for VirtualBox VMs, and every node here is an existing machine (host:); remove ${key}`));
    }
  }
  if (options.projectDir !== undefined) {
    const missing = localInstallerProblems(config, options.projectDir);
    if (missing.length > 0) throw new ConfigError(source, missing);
  }
  return { config, warnings: [...configWarnings(config, options.host), ...ignoredComponentKeys(overrides, config)], source };
}

/** Keys written for a component that is switched off: valid, but they do nothing until it is on again. */
function ignoredComponentKeys(overrides: Record<string, unknown>, config: LabConfig): string[] {
  const written = isPlainObject(overrides.components) ? overrides.components : {};
  return (Object.keys(config.components) as (keyof LabConfig['components'])[])
    .filter((name) => !config.components[name].enabled && isPlainObject(written[name]))
    .flatMap((name) =>
      Object.keys(written[name] as object)
        .filter((key) => key !== 'enabled')
        .map((key) => `components.${name}.${key} is ignored while components.${name}.enabled is false; remove it, or set enabled: true to use it`),
    );
}

/** What a JSON value is, in words, for "must be … (got …)". */
const TYPE_WORDS: Record<string, string> = {
  string: 'text in quotes',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping of keys',
  // zod names a z.record's type "record" (registries.mirrors, registries.configs): to a user it is a mapping too.
  record: 'a mapping of keys',
  array: 'a list',
};

function formatIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const field = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(issue.path);
    return issue.keys
      .map((key) => `${formatPath([...issue.path, key])}: unknown key (a typo?); allowed here: ${allowed.join(', ')}${whereKeyBelongs(key, issue.path)}`)
      .join('\n  - ');
  }
  const value = valueAt(input, issue.path);
  if (value === undefined) return `${field}: is missing; ${issue.message}`;
  if (value !== null && typeof value === 'object') {
    return issue.code === 'invalid_type' ? `${field} = ${Array.isArray(value) ? 'a list' : 'a mapping'}: ${issue.message}` : `${field}: ${issue.message}`;
  }
  return `${field} = ${JSON.stringify(value)}: ${issue.message}`;
}

/**
 * The words for a problem the schema has no message of its own for (a mapping where a value
 * belongs, …): what is allowed, never the schema library's own text.
 */
export function fallbackMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return 'is not an allowed value here (see README, "Configuration")';
  }
}

/** A field's path as written in the config (`nodes[1].ip`); every problem is in a field (the top level is always a mapping). */
function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

function valueAt(input: unknown, p: readonly PropertyKey[]): unknown {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent: every issue's path runs through mappings and lists the input has (zod stops at the first value that is not one; our own issues name fields the schema took)
  return p.reduce<unknown>((acc, key) => (acc !== null && typeof acc === 'object' ? (acc as Record<PropertyKey, unknown>)[key] : undefined), input);
}

/** Walks the schema along a path to list the keys an object there may have. */
function allowedKeysAt(p: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = labConfigSchema;
  for (const key of p) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) schema = schema.shape[key as string];
    else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else if (schema instanceof z.ZodRecord) schema = schema.valueType as z.ZodType;
  }
  schema = unwrap(schema);
  // Stryker disable next-line ArrayDeclaration: equivalent: zod reports unknown keys only where the schema has a mapping
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** Every mapping in the schema, by path (`nodes[]` for each list item, "" for the top level), with its keys. */
function mappingsIn(schema: z.ZodType, at = ''): [string, string[]][] {
  const s = unwrap(schema);
  if (s instanceof z.ZodArray) return mappingsIn(s.element as z.ZodType, `${at}[]`);
  if (!(s instanceof z.ZodObject)) return [];
  const shape = s.shape as Record<string, z.ZodType>;
  return [[at, Object.keys(shape)], ...Object.entries(shape).flatMap(([key, child]) => mappingsIn(child, at ? `${at}.${key}` : key))];
}

/**
 * For a key written under the wrong parent (an indentation slip): where it does belong
 * (never where it is: it is unknown there). "" when it belongs nowhere (a typo).
 */
function whereKeyBelongs(key: string, at: readonly PropertyKey[]): string {
  const places = mappingsIn(labConfigSchema)
    .filter(([, keys]) => keys.includes(key))
    .map(([p]) => p);
  if (places.length === 0) return '';
  if (places.length === 1 && places[0] === '') return `; ${key} belongs at the top level: move it out of ${formatPath(at)}, to the start of the line`;
  const words = places.map((p) => (p === '' ? 'the top level' : p));
  const list = words.length < 2 ? words[0] : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
  return `; ${key} belongs under ${list}: indent it ${places.length > 1 ? 'under one of them' : 'there'}`;
}

function unwrap(schema: z.ZodType): z.ZodType {
  // The schema has optional fields, no defaults (those come from config/defaults.ts, merged in before).
  return schema instanceof z.ZodOptional ? unwrap(schema.unwrap() as z.ZodType) : schema;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function describe(v: unknown): string {
  return Array.isArray(v) ? 'a list' : v === null ? 'null' : `a ${typeof v}`;
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = deepMerge(base[key], value);
  return out;
}
