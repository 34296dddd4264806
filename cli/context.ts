import { LabPaths, labPaths } from '../config/paths';
import { LoadedLabConfig, loadLabConfig, resolveLabConfig } from '../config/load';
import { LabConfig } from '../config/lab-config';
import type { DownloadRecord } from './deploy/step-timeline';

/** What every command gets: where the project is, its paths, and the lab config (loaded once, on first use). */
export class CliContext {
  readonly paths: LabPaths;
  private loaded?: LoadedLabConfig;
  /** What this process fetched from the internet (recorded in the stand-up timeline; `npm run up` sums it). */
  readonly downloads: DownloadRecord[] = [];

  constructor(
    readonly projectDir: string,
    /** Progress and results go here; tests pass their own. */
    readonly out: (line: string) => void = (line) => console.log(line),
    readonly warn: (line: string) => void = (line) => console.error(line),
  ) {
    this.paths = labPaths(projectDir);
  }

  /** The validated lab config; warnings are printed the first time. Throws ConfigError when invalid. */
  get config(): LabConfig {
    if (!this.loaded) {
      this.loaded = loadLabConfig(this.projectDir);
      for (const w of this.loaded.warnings) this.warn(`kubelab: warning: ${w}`);
    }
    return this.loaded.config;
  }

  /**
   * Uses a step's spec (what Terraform planned; see config/step-spec.ts) as the lab config
   * instead of reading kubelab.config.yaml. Throws ConfigError when it does not validate.
   */
  useSpec(spec: unknown): void {
    this.loaded = resolveLabConfig(spec, 'the step spec from the Terraform plan');
  }

  recordDownload(d: DownloadRecord): void {
    this.downloads.push(d);
  }

  get configSource(): string {
    void this.config;
    return this.loaded!.source;
  }
}
