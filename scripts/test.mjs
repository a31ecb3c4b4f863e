// `npm test`: typecheck, unit, Redis integration and Playwright e2e, in that order; every
// stage runs so one report shows everything, and the last line sums all runners.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromiumPackage, ensureCommands } from './system-packages.mjs';

const root = path.resolve(import.meta.dirname, '..');
const reports = path.join(root, '.test-reports');
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
const bin = (name) => path.join(root, 'node_modules/.bin', name);

function run(title, command, args, env = {}) {
  console.log(`\n=== ${title} ===`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status === 0;
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

// What the tests run besides Node: a real redis-server (unless REDIS_URL), Chromium for Playwright
// (unless CHROMIUM_PATH) and haproxy for the Redis Cluster topology test; installed when missing.
const chromium = chromiumPackage();
const systemNeeds = [
  ...(process.env.REDIS_URL ? [] : [{ command: 'redis-server', package: 'redis-server' }]),
  ...(process.env.CHROMIUM_PATH ? [] : [chromium]),
  { command: 'haproxy', package: 'haproxy' },
];
const stillMissing = ensureCommands(systemNeeds);
if (stillMissing.length > 0) console.error(`ClusterPlay: still missing: ${stillMissing.join(', ')} (the tests that need them will fail or say why they skip)`);
if (!process.env.CHROMIUM_PATH && chromium.command !== '/usr/bin/chromium') process.env.CHROMIUM_PATH = chromium.command;

const totals = { passed: 0, failed: 0, skipped: 0 };
let allOk = true;

function vitestStage(project) {
  const out = path.join(reports, `${project}.json`);
  const ok = run(`${project} tests (vitest)`, bin('vitest'), ['run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]);
  const report = readJson(out);
  if (report) {
    totals.passed += report.numPassedTests;
    totals.failed += report.numFailedTests;
    totals.skipped += report.numPendingTests + report.numTodoTests;
  }
  // A runner that crashed or ran nothing is a failure, never a silent pass.
  if (!ok || !report || report.numTotalTests === 0) {
    if (!report || report.numFailedTests === 0) totals.failed += 1;
    allOk = false;
  }
}

const typecheckOk = run('typecheck', 'npm', ['run', '--silent', 'typecheck']);
if (typecheckOk) totals.passed += 1;
else {
  totals.failed += 1;
  allOk = false;
}
vitestStage('unit');
vitestStage('integration');

const e2eOut = path.join(reports, 'e2e.json');
const e2eOk = run('end-to-end tests (Playwright, Chromium)', bin('playwright'), ['test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: e2eOut });
const e2e = existsSync(e2eOut) ? readJson(e2eOut) : null;
if (e2e?.stats) {
  totals.passed += e2e.stats.expected + e2e.stats.flaky;
  totals.failed += e2e.stats.unexpected;
  totals.skipped += e2e.stats.skipped;
}
if (!e2eOk || !e2e?.stats || e2e.stats.expected + e2e.stats.unexpected + e2e.stats.flaky === 0) {
  if (!e2e?.stats?.unexpected) totals.failed += 1;
  allOk = false;
}

console.log(`\n${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
process.exit(allOk && totals.failed === 0 ? 0 : 1);
