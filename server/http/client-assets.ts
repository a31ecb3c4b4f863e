/**
 * The built client. Vite names each asset after a hash of its content (`assets/index-3f2a9c.js`),
 * so those are cached for a year as immutable and sent compressed (brotli, else gzip, by the
 * browser's Accept-Encoding), each compressed once per process with Node's zlib and kept in
 * memory. index.html names the current assets: it is revalidated on every load (no-cache), so a
 * new build reaches every browser at its next page load.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import express, { type RequestHandler, type Router } from 'express';

const HASHED_ASSET = /^\/assets\/[\w.-]+$/;
const COMPRESSIBLE = new Set(['.js', '.mjs', '.css', '.svg', '.json', '.html', '.txt', '.map', '.wasm']);
/** Smaller than this, compressing saves less than the header costs. */
const MIN_COMPRESS_BYTES = 1024;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const OTHER_FILES_MAX_AGE = '1h';

type Encoding = 'br' | 'gzip';
const compressors: Record<Encoding, (data: Buffer) => Promise<Buffer>> = {
  br: (data) => promisify(brotliCompress)(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }),
  gzip: (data) => promisify(gzip)(data, { level: 9 }),
};

/** The best encoding the client accepts (q=0 refuses one), or null for the file as it is. */
export function chooseEncoding(acceptEncoding: string | undefined): Encoding | null {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (name) accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const wants = (name: Encoding) => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  return wants('br') ? 'br' : wants('gzip') ? 'gzip' : null;
}

/** Hashed assets, compressed and immutable; the files' bytes never change under a process, so they are read once. */
function hashedAssets(clientDir: string): RequestHandler {
  const cache = new Map<string, Promise<Buffer | null>>();
  const load = (file: string, encoding: Encoding | null): Promise<Buffer | null> => {
    const key = `${encoding ?? 'identity'}:${file}`;
    let loaded = cache.get(key);
    if (!loaded) {
      loaded = readFile(file).then(
        (data) => (encoding ? compressors[encoding](data) : data),
        () => null,
      );
      cache.set(key, loaded);
      // A file missing now may come with the next build: not remembered.
      void loaded.then((data) => data === null && cache.delete(key));
    }
    return loaded;
  };
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !HASHED_ASSET.test(req.path)) return next();
    const file = path.join(clientDir, req.path);
    const ext = path.extname(file).toLowerCase();
    void (async () => {
      const raw = await load(file, null);
      if (!raw) return next();
      const encoding = COMPRESSIBLE.has(ext) && raw.length >= MIN_COMPRESS_BYTES ? chooseEncoding(req.headers['accept-encoding']) : null;
      const body = encoding ? await load(file, encoding) : raw;
      if (!body) return next();
      res.type(ext);
      res.setHeader('Cache-Control', IMMUTABLE);
      if (COMPRESSIBLE.has(ext)) res.setHeader('Vary', 'Accept-Encoding');
      if (encoding) res.setHeader('Content-Encoding', encoding);
      res.setHeader('Content-Length', String(body.length));
      res.end(req.method === 'HEAD' ? undefined : body);
    })().catch(next);
  };
}

/** The client: hashed assets, other files (favicon…) for an hour, and index.html for every client-side route. */
export function clientRoutes(clientDir: string): Router {
  const router = express.Router();
  router.use(hashedAssets(clientDir));
  router.use(
    express.static(clientDir, {
      index: false,
      maxAge: OTHER_FILES_MAX_AGE,
      setHeaders: (res, file) => {
        if (path.basename(file) === 'index.html') res.setHeader('Cache-Control', 'no-cache');
      },
    }),
  );
  // Client-side routes (/join/ABC123, /classroom/...) all load the single-page app.
  router.get(/^\/(?!api\/|socket\.io\/|assets\/).*/, (_req, res) => {
    res.sendFile(path.join(clientDir, 'index.html'), { headers: { 'Cache-Control': 'no-cache' }, cacheControl: false });
  });
  return router;
}
