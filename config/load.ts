import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_LAB_CONFIG } from './defaults';
import { LabConfig, configWarnings, labConfigSchema, withNodeDefaults } from './lab-config';

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

/** Reads kubelab.config.{yaml,yml,json} from the project dir (if any) over the built-in default. */
export function loadLabConfig(projectDir: string): LoadedLabConfig {
  const present = CONFIG_FILE_NAMES.filter((f) => fs.existsSync(path.join(projectDir, f)));
  if (present.length > 1) {
    throw new ConfigError(present.join(' and '), [`found ${present.join(' and ')}: keep exactly one lab config file and delete the other`]);
  }
  if (present.length === 0) return resolveLabConfig({}, 'built-in default');
  const file = present[0];
  const text = fs.readFileSync(path.join(projectDir, file), 'utf8');
  let overrides: unknown;
  try {
    overrides = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(file, [`cannot be parsed: ${(err as Error).message.split('\n')[0]}`]);
  }
  return resolveLabConfig(overrides ?? {}, file);
}

/** Validates user overrides laid over the built-in default. Objects merge key by key; lists (nodes) replace. */
export function resolveLabConfig(overrides: unknown, source = 'config'): LoadedLabConfig {
  if (!isPlainObject(overrides)) {
    throw new ConfigError(source, [`must be a mapping of keys (like name:, nodes:), not ${describe(overrides)}`]);
  }
  const merged = deepMerge(DEFAULT_LAB_CONFIG, overrides);
  const result = labConfigSchema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(source, result.error.issues.map((issue) => formatIssue(issue, merged)));
  }
  const config = withNodeDefaults(result.data);
  return { config, warnings: configWarnings(config), source };
}

function formatIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const field = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(issue.path);
    return issue.keys
      .map((key) => `${formatPath([...issue.path, key])}: unknown key (a typo?); allowed here: ${allowed.join(', ')}`)
      .join('\n  - ');
  }
  const value = valueAt(input, issue.path);
  if (value === undefined) return `${field}: is missing; ${issue.message}`;
  if (value !== null && typeof value === 'object') return `${field}: ${issue.message}`;
  return `${field} = ${JSON.stringify(value)}: ${issue.message}`;
}

function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '') || '(top level)';
}

function valueAt(input: unknown, p: readonly PropertyKey[]): unknown {
  return p.reduce<unknown>((acc, key) => (acc !== null && typeof acc === 'object' ? (acc as Record<PropertyKey, unknown>)[key] : undefined), input);
}

/** Walks the schema along a path to list the keys an object there may have. */
function allowedKeysAt(p: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = labConfigSchema;
  for (const key of p) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) schema = schema.shape[key as string];
    else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  return schema instanceof z.ZodOptional || schema instanceof z.ZodDefault ? unwrap(schema.unwrap() as z.ZodType) : schema;
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
