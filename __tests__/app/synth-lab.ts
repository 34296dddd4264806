import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdktf';
import { resolveLabConfig } from '../../config/load';
import { buildLab } from '../../lab';

/** One synthesized stack: its cdk.tf.json parsed. */
export type StackJson = Record<string, any>;

export interface SynthResult {
  readonly outdir: string;
  readonly manifest: Record<string, any>;
  readonly stacks: Record<string, StackJson>;
  /** Every file synth wrote, by path relative to outdir, as text. */
  readonly files: Record<string, string>;
}

/** Synthesizes the lab for the given config overrides into a fresh temp dir, as `npm run synth` does. */
export function synthLab(overrides: unknown = {}): SynthResult {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-synth-'));
  const app = new App({ outdir });
  buildLab(app, resolveLabConfig(overrides).config);
  app.synth();
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files[path.relative(outdir, full).split(path.sep).join('/')] = fs.readFileSync(full, 'utf8');
    }
  };
  walk(outdir);
  const manifest = JSON.parse(files['manifest.json']);
  const stacks: Record<string, StackJson> = {};
  for (const [name, stack] of Object.entries<any>(manifest.stacks)) stacks[name] = JSON.parse(files[stack.synthesizedStackPath]);
  return { outdir, manifest, stacks, files };
}

/** All resources of one type in a stack, by logical name. */
export function resourcesOf(stack: StackJson, type: string): Record<string, any> {
  return stack.resource?.[type] ?? {};
}

/** Every resource of every type in a stack. */
export function allResources(stack: StackJson): { type: string; name: string; body: any }[] {
  return Object.entries<Record<string, any>>(stack.resource ?? {}).flatMap(([type, byName]) =>
    Object.entries(byName).map(([name, body]) => ({ type, name, body })),
  );
}
