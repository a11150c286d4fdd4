// E2E runner: builds the probe page, then runs every tests/e2e/*.test.mjs with
// Node's test runner, one file at a time (SwiftShader is slow on few cores).
// Prints the TAP summary ("# pass N", "# fail N"); exits non-zero on failure.
//
//   node tests/e2e/run.mjs [file-filter]     E2E_VERBOSE=1 echoes browser console

import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildProbe, CHROME_PATH, E2E_DIR } from './harness.mjs';

const filter = process.argv[2];
const t0 = Date.now();

process.stdout.write(`# e2e: building probe page (vite, tests/e2e/vite.probe.config.ts)\n`);
await buildProbe({ force: true });
process.stdout.write(`# e2e: built in ${((Date.now() - t0) / 1000).toFixed(1)} s; chromium: ${CHROME_PATH}\n`);

const files = readdirSync(E2E_DIR)
  .filter((f) => f.endsWith('.test.mjs') && (!filter || f.includes(filter)))
  .sort()
  .map((f) => join(E2E_DIR, f));
if (files.length === 0) {
  console.error(`# e2e: no test files${filter ? ` matching "${filter}"` : ''}`);
  process.exit(1);
}

const args = ['--test', '--test-concurrency=1', '--test-reporter=tap', ...files];
const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
let summary = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  summary += chunk;
  if (summary.length > 200_000) summary = summary.slice(-100_000);
});
const code = await new Promise((resolve) => child.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
const pass = /^# pass (\d+)/m.exec(summary)?.[1];
const fail = /^# fail (\d+)/m.exec(summary)?.[1];
if (pass === undefined || fail === undefined) {
  // The runner died before its summary: say so in the same format.
  process.stdout.write(`# pass ${pass ?? 0}\n# fail ${fail ?? 1}\n`);
}
process.stdout.write(`e2e: ${pass ?? 0} passed, ${fail ?? 1} failed\n`);
process.stdout.write(`# e2e: ${files.length} file(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s, exit ${code}\n`);
process.exit(code !== 0 ? code : fail && Number(fail) > 0 ? 1 : 0);
