// The production server as one ES module, `dist/server/main.js`, bundled by esbuild from
// server/main.ts. Run from it, a process holds less memory than when tsx compiles every TypeScript
// file on load, and starts faster. It sits two folders below the root, as server/main.ts does, so the
// paths the server resolves from its own file (package.json, shared/scenarios) stay the same.
import { mkdirSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildStamp } from './staleness.mjs';

const root = path.resolve(import.meta.dirname, '..');
const serverBundle = path.join(root, 'dist/server/main.js');
const stamp = buildStamp(root, {
  output: serverBundle,
  stamp: path.join(root, 'dist/server-sources.sha256'),
  // package-lock.json: the bundled packages' code is in the bundle, so an upgrade of one builds it again.
  sources: ['server', 'shared', 'package.json', 'package-lock.json', 'tsconfig.json'],
});

/**
 * The packages bundled with the server, with what they import. A process loading them from
 * node_modules kept every module's source text in its heap (11.7 MB of strings idle, 6.8 MB of it
 * the packages' 1,500 files, bullmq's unused PostgreSQL and Valkey backends among them); bundled, esbuild
 * drops what the server never reaches and the rest is minified. Any other package, one added later
 * included, is loaded from node_modules as before.
 */
const BUNDLED = ['bullmq', 'redis', 'express', 'zod', 'yaml', 'helmet', 'cors', 'prom-client', 'pino-http'];

/** Loaded from node_modules even when a bundled package imports them: they read files beside their own. */
const EXTERNAL = [
  'pino', // its transports run its own files in worker threads
  'socket.io', // serves its client script from its own folder
  '@socket.io/redis-streams-adapter', // extends socket.io's own socket.io-adapter
  'ioredis', // reads its package.json for its version; loaded only on a Redis Cluster (server/jobs/timer-lanes.ts)
  'msgpackr-extract', // a native addon
  'iconv-lite', // its encodings are loaded when a request body needs one, not at start
  'mime-db', // JSON: parsed, it keeps no source text in the heap, as a module would
];

const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
const inNodeModules = (file) => file.includes(`${path.sep}node_modules${path.sep}`);
const inBullmq = (file) => file.includes(`${path.sep}bullmq${path.sep}dist${path.sep}esm${path.sep}`);

/** Which imports are bundled (see BUNDLED and EXTERNAL); bullmq as ES modules. */
const bundledPackages = {
  name: 'bundled-packages',
  setup(build) {
    // node_modules as esbuild resolves into it (symbolic links followed).
    const rootModules = realpathSync(path.join(root, 'node_modules'));
    const resolve = async (args, specifier = args.path) => {
      const resolved = await build.resolve(specifier, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'resolving' });
      return resolved.errors.length ? null : resolved;
    };
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'resolving' || args.kind === 'entry-point' || args.path.startsWith('node:')) return undefined;
      const name = packageOf(args.path);
      if (EXTERNAL.includes(name)) {
        // The bundle requires it from dist/server: a bundled package must have meant the copy at
        // the root of node_modules, not one of its own.
        const resolved = inNodeModules(args.importer) ? await resolve(args) : null;
        if (resolved && !resolved.external && !resolved.path.startsWith(path.join(rootModules, name) + path.sep)) {
          return { errors: [{ text: `${args.path}, external, is ${resolved.path} for ${args.importer}: not the copy the bundle would load` }] };
        }
        return { path: args.path, external: true };
      }
      if (!inNodeModules(args.importer) && !BUNDLED.includes(name)) {
        // tsconfig's path aliases (@shared/…) lead to our own sources.
        const resolved = await resolve(args);
        return resolved && !resolved.external && !inNodeModules(resolved.path) ? undefined : { path: args.path, external: true };
      }
      if (name !== 'bullmq') return undefined;
      // bullmq's ES modules (its package.json's "module"), not its CommonJS: esbuild leaves out
      // only ES modules.
      const resolved = await resolve(args, args.path === 'bullmq' ? 'bullmq/dist/esm/index.js' : args.path);
      return resolved && { path: resolved.path, sideEffects: false };
    });
    // bullmq's modules do nothing on import but define what they export: those the server reaches
    // no export of (the PostgreSQL, Valkey GLIDE and relay code) are left out.
    build.onResolve({ filter: /^\./ }, async (args) => {
      if (args.pluginData === 'resolving' || !inBullmq(args.importer)) return undefined;
      const resolved = await resolve(args);
      return resolved && { path: resolved.path, sideEffects: false };
    });
  },
};

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
    plugins: [bundledPackages],
    // The bundled CommonJS packages' require() of Node's modules and of the external packages.
    banner: { js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
    // Minified, as its source text stays in the heap. Identifiers are kept: stack traces read as the
    // code does, and names stay what they were (bullmq names its errors after their classes).
    // Renaming them saved 1.2 MB of an idle process's 24.5 MB of live heap, and cost 0.6 MB with
    // esbuild's keepNames; either way its RSS 5 s after start was 15-30 MB higher (measured in turns).
    minifyWhitespace: true,
    minifySyntax: true,
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
