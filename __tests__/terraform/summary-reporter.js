'use strict';
/**
 * Closes the run with the plain summary line CI reads ("N passed, N failed"), and each
 * scenario's time, which the issue asks to record.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const lines = [];
    for (const file of results.testResults) {
      for (const t of file.testResults) lines.push(`  ${t.status.padEnd(7)} ${String(Math.round((t.duration || 0) / 100) / 10).padStart(6)} s  ${t.title}`);
    }
    process.stdout.write(`\nscenario timings:\n${lines.join('\n')}\n`);
    // Jest's own summary is printed after every reporter's onRunComplete: this line goes last, at exit.
    const summary = `terraform: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped\n`;
    process.once('exit', () => process.stdout.write(summary));
  }
}
module.exports = SummaryReporter;
