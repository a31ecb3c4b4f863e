// The production server as one ES module, `dist/server/main.js`, bundled by esbuild from
// server/main.ts with the npm packages left as imports. Run from it, a process holds about 50 MB
// less than when tsx compiles every TypeScript file on load (measured idle: 94–156 MB RSS against
// 142–208 MB), and starts faster. It sits two folders below the root, as server/main.ts does, so
// the paths the server resolves from its own file (package.json, shared/scenarios) stay the same.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { isStale } from './staleness.mjs';

const root = path.resolve(import.meta.dirname, '..');
export const serverBundle = path.join(root, 'dist/server/main.js');
const sources = ['server', 'shared', 'package.json', 'tsconfig.json'];

/** True when the bundle is missing or older than any server or shared source. */
export function serverBuildIsStale() {
  return isStale(root, serverBundle, sources);
}

export function buildServer() {
  const result = buildSync({
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

export function buildServerIfStale() {
  if (serverBuildIsStale()) {
    console.log('Building the server…');
    buildServer();
  }
}

// `node scripts/server-build.mjs` builds it always (npm run build, the Dockerfile, the benches).
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) buildServer();
