import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdktf';
import { LabConfig } from '../../config/lab-config';
import { buildLab } from '../../lab';

/** One stack of the lab as `npm run up -- <stack>` / `npm run down -- <stack>` need to know it. */
export interface LabStackInfo {
  /** The stacks it needs deployed first (lab.ts addDependency). */
  readonly needs: readonly string[];
  /** The config leaves it without resources (its component is switched off). */
  readonly empty: boolean;
}

/**
 * The lab's stacks as lab.ts builds them for this config: what each needs, and which are
 * empty. Read from the app itself, so the order has one source (lab.ts); building it costs
 * ~0.1 s and writes nothing but the app's empty out dir, made in a temp dir and removed.
 */
export function labStacks(config: LabConfig): Record<string, LabStackInfo> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-stacks-'));
  try {
    const stacks = buildLab(new App({ outdir, stackTraces: false }), config);
    return Object.fromEntries(
      Object.values(stacks).map((s) => {
        const resources = (s.toTerraform() as { resource?: Record<string, unknown> }).resource ?? {};
        return [s.node.id, { needs: s.dependencies.map((d) => d.node.id), empty: Object.keys(resources).length === 0 }];
      }),
    );
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
