/** A frame of the spinner cdktf draws under its output ("⠋  Processing"): noise once the lines are plain. */
const SPINNER = /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]\s/;
/** Where Terraform starts printing its plan, and where the plan's summary stands (terraform internal/command/views, v1.11). */
const PLAN_STARTS = /Terraform used the selected providers to generate the following|Terraform will perform the following actions/;
const PLAN_ENDS = /\bPlan: \d+ to add|No changes\./;
/** After the summary, the planned outputs, up to the next empty line. */
const OUTPUTS_START = /Changes to Outputs:/;
/** Terraform's "<address> (local-exec): Executing: [...]": the whole command line, with its base64 step spec. */
const EXECUTING = /\(local-exec\): Executing: \[/;
/** Terraform's error block starts with "Error: <summary>" (terraform internal/command/format/diagnostic.go). */
const TERRAFORM_ERROR = /(?:^|\s)(?:│\s*)?Error: (.+)$/;

/**
 * What `npm run up` passes on from cdktf: everything but the spinner and, unless
 * --verbose, Terraform's plan (its summary line "Plan: …" stays). Remembers
 * Terraform's first error, for the last line of a failed run.
 */
export class CdktfOutput {
  /** Lines of plan (and of local-exec's command lines) left out. */
  hidden = 0;
  /** Terraform's first "Error: …" summary. */
  firstError?: string;
  private inPlan = false;
  private inOutputs = false;

  constructor(private readonly verbose: boolean) {}

  /** The line to print, or undefined to leave it out. */
  line(raw: string): string | undefined {
    const line = raw.replace(/\r$/, '');
    if (SPINNER.test(line)) return undefined;
    const error = TERRAFORM_ERROR.exec(line);
    if (error && this.firstError === undefined) this.firstError = error[1].trim();
    if (this.verbose) return line;
    if (!this.inPlan && PLAN_STARTS.test(line)) this.inPlan = true;
    if (EXECUTING.test(line)) {
      this.hidden++;
      return undefined;
    }
    if (OUTPUTS_START.test(line)) this.inOutputs = true;
    if (this.inOutputs) {
      this.hidden++;
      if (line.replace(/^\S+\s+/, '').trim() === '' || line.trim() === '') this.inOutputs = false;
      return undefined;
    }
    if (this.inPlan) {
      if (!PLAN_ENDS.test(line)) {
        this.hidden++;
        return undefined;
      }
      this.inPlan = false;
    }
    return line;
  }
}
