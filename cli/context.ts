import { LabPaths, labPaths } from '../config/paths';
import { LoadedLabConfig, loadLabConfig } from '../config/load';
import { LabConfig } from '../config/lab-config';

/** What every command gets: where the project is, its paths, and the lab config (loaded once, on first use). */
export class CliContext {
  readonly paths: LabPaths;
  private loaded?: LoadedLabConfig;

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

  get configSource(): string {
    void this.config;
    return this.loaded!.source;
  }
}
