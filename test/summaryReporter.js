// The one line CI reads: "N passed, N failed". Suites that fail to load count as failed tests.
// With PSN_SUMMARY_FILE set (tools/test.sh) the line goes there, so the runner can print it last,
// after jest's own summary.
const fs = require("node:fs");

class SummaryReporter {
  // With PSN_SUITES_FILE set (tools/test-lanes.mjs), one JSON line per suite as it ends: a lane that is
  // killed or crashes later still has the results of the suites it finished.
  onTestResult(test, result) {
    const file = process.env.PSN_SUITES_FILE;
    if (!file) return;
    const count = (status) => result.testResults.filter((t) => t.status === status).length;
    const line = {
      suite: result.testFilePath,
      seconds: (result.perfStats.end - result.perfStats.start) / 1000,
      passed: count("passed"),
      failed: count("failed"),
      // A suite that failed to load or in a hook has no failed test of its own.
      broken: result.testExecError || result.failureMessage ? 1 : 0,
    };
    fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
  }

  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed\n`;
    if (process.env.PSN_SUMMARY_FILE) fs.writeFileSync(process.env.PSN_SUMMARY_FILE, line);
    else process.stdout.write(`\n${line}`);
  }
}
module.exports = SummaryReporter;
