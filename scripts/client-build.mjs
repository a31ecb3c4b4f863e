import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { isStale } from './staleness.mjs';

const root = path.resolve(import.meta.dirname, '..');
const builtIndex = path.join(root, 'dist/client/index.html');
const sources = ['client', 'shared', 'vite.config.ts', 'package.json'];

/** True when dist/client is missing or older than any client or shared source. */
export function clientBuildIsStale() {
  return isStale(root, builtIndex, sources);
}

export function buildClient() {
  const result = spawnSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

export function buildClientIfStale() {
  if (clientBuildIsStale()) {
    console.log('Building the client…');
    buildClient();
  }
}
