// The one line CI reads: "N passed, N failed". Suites that fail to load count as failed tests.
// With PSN_SUMMARY_FILE set (tools/test.sh) the line goes there, so the runner can print it last,
// after jest's own summary.
const fs = require("node:fs");

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed\n`;
    if (process.env.PSN_SUMMARY_FILE) fs.writeFileSync(process.env.PSN_SUMMARY_FILE, line);
    else process.stdout.write(`\n${line}`);
  }
}
module.exports = SummaryReporter;
