// Prints the plain `N passed, N failed` line CI reads, from Vitest's JSON report.
// A missing or unreadable report (the build or the runner itself failed) counts as one failure.
import { readFileSync } from 'node:fs';

const path = process.argv[2] ?? 'test-results/vitest.json';
try {
  const report = JSON.parse(readFileSync(path, 'utf8'));
  // Suites that fail to load have no tests but still fail the run.
  const brokenFiles = report.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
  console.log(`${report.numPassedTests} passed, ${report.numFailedTests + brokenFiles} failed`);
} catch (err) {
  console.log(`0 passed, 1 failed`);
  console.error(`no test report at ${path}: ${err.message}`);
}
