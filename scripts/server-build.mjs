// The production server as one ES module, `dist/server/main.js`, bundled by esbuild from
// server/main.ts with the npm packages left as imports. Run from it, a process holds less memory
// than when tsx compiles every TypeScript file on load, and starts faster. It sits two folders below
// the root, as server/main.ts does, so the paths the server resolves from its own file
// (package.json, shared/scenarios) stay the same.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildStamp } from './staleness.mjs';

const root = path.resolve(import.meta.dirname, '..');
const serverBundle = path.join(root, 'dist/server/main.js');
const stamp = buildStamp(root, {
  output: serverBundle,
  stamp: path.join(root, 'dist/server-sources.sha256'),
  sources: ['server', 'shared', 'package.json', 'tsconfig.json'],
});

export async function buildServer() {
  // Imported here: a production install (npm prune --omit=dev) has no esbuild, and an up-to-date bundle needs none.
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['server/main.ts'],
    outfile: serverBundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    tsconfig: 'tsconfig.json',
    // A map beside the bundle: NODE_OPTIONS=--enable-source-maps gives stack traces in TypeScript
    // lines, at the memory cost the bundle saves, so it is not on by default.
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
    write: false,
  });
  mkdirSync(path.dirname(serverBundle), { recursive: true });
  // Written beside and renamed: another `npm start` starting now reads the old bundle or the new, never half of one.
  for (const file of result.outputFiles) {
    const partial = `${file.path}.${process.pid}.partial`;
    writeFileSync(partial, file.contents);
    renameSync(partial, file.path);
  }
}

/** Builds the bundle when it is missing or was built from other server or shared sources. */
export async function buildServerIfStale() {
  const digest = stamp.staleDigest();
  if (digest === null) return;
  console.log('Building the server…');
  await buildServer();
  stamp.record(digest);
}

// `node scripts/server-build.mjs` builds it when stale (npm run build, the Dockerfile, the benches).
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) await buildServerIfStale();
