import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { buildStamp } from './staleness.mjs';

const root = path.resolve(import.meta.dirname, '..');
// Outside dist/client: vite empties that folder when it builds.
const stamp = buildStamp(root, {
  output: path.join(root, 'dist/client/index.html'),
  stamp: path.join(root, 'dist/client-sources.sha256'),
  sources: ['client', 'shared', 'vite.config.ts', 'package.json'],
});

export function buildClient() {
  const result = spawnSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** Builds dist/client when it is missing or was built from other client or shared sources. */
export function buildClientIfStale() {
  const digest = stamp.staleDigest();
  if (digest === null) return;
  console.log('Building the client…');
  buildClient();
  stamp.record(digest);
}

// `node scripts/client-build.mjs` builds it when stale (npm run build).
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) buildClientIfStale();
