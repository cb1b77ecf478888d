/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, so CI logs state the counts
 * in a form any tool can read. Jest writes its own summary after every reporter's `onRunComplete`,
 * so the line waits for the process to exit to be the very last one (writes to a pipe or file are
 * synchronous on exit).
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `tests: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped`;
    process.once('exit', () => process.stdout.write(`\n${line}\n`));
  }
}

module.exports = SummaryReporter;
