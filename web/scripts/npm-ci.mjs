// Installs node_modules exactly as package-lock.json says (`npm ci`), but only when they are missing
// or were installed from another lock file: the Maven build calls this every time, and a build whose
// packages are installed (or in npm's cache) needs no network.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const stamp = 'node_modules/.mmgpt-lock.sha256';
const lock = createHash('sha256').update(readFileSync('package-lock.json')).digest('hex');
if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === lock) {
  console.log('web: node_modules match package-lock.json');
  process.exit(0);
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = spawnSync(npm, ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit' });
if (run.status !== 0) {
  console.error(`web: npm ci failed (exit ${run.status ?? run.signal})`);
  process.exit(run.status ?? 1);
}
writeFileSync(stamp, `${lock}\n`);
