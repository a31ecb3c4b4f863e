/**
 * The built client over HTTP as a browser gets it: hashed assets compressed (brotli, else gzip)
 * and cached as immutable, index.html revalidated on every load.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { RunningServer } from '../app';
import { startTestServer } from '../testing/test-server';
import { chooseEncoding } from './client-assets';

let server: RunningServer;
let dir: string;
const script = `export const rows = [${Array.from({ length: 2000 }, (_, i) => `{ id: ${i}, name: "pod-${i}" }`).join(', ')}];\n`;
const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-3f2a9c1b.js"></script></head><body></body></html>';

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cp-client-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), INDEX);
  writeFileSync(path.join(dir, 'assets', 'index-3f2a9c1b.js'), script);
  writeFileSync(path.join(dir, 'assets', 'logo-77aa01.png'), Buffer.alloc(4096, 7));
  writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  server = await startTestServer({ CLIENT_DIR: dir, REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-assets` });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET with exactly these headers (fetch would add and undo its own Accept-Encoding). */
function get(route: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url.replace('localhost', '127.0.0.1')}${route}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the client over HTTP', () => {
  test('a hashed script goes out brotli- or gzip-compressed as the browser accepts, cached as immutable; as it is to a client that accepts neither', async () => {
    const route = '/assets/index-3f2a9c1b.js';
    const br = await get(route, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers['vary']).toMatch(/Accept-Encoding/i);
    expect(brotliDecompressSync(br.body).toString()).toBe(script);
    expect(br.body.length).toBeLessThan(script.length / 5);

    const gz = await get(route, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(script);
    expect(Number(gz.headers['content-length'])).toBe(gz.body.length);

    for (const refused of [{}, { 'accept-encoding': 'identity' }, { 'accept-encoding': 'br;q=0, gzip;q=0' }] as Record<string, string>[]) {
      const plain = await get(route, refused);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.toString()).toBe(script);
    }
    const head = await get(route, { 'accept-encoding': 'br' }, 'HEAD');
    expect(head.headers['content-length']).toBe(br.headers['content-length']);
    expect(head.body.length).toBe(0);
  });

  test('an image is sent as it is (already compressed), still immutable; a missing asset is 404, not the page', async () => {
    const png = await get('/assets/logo-77aa01.png', { 'accept-encoding': 'br, gzip' });
    expect(png.headers['content-encoding']).toBeUndefined();
    expect(png.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(png.body.length).toBe(4096);
    expect((await get('/assets/index-000000.js')).status).toBe(404);
  });

  test('index.html is revalidated on every load, on / and on every client-side route', async () => {
    for (const route of ['/', '/join/ABC123', '/index.html']) {
      const page = await get(route);
      expect(page.status, route).toBe(200);
      expect(page.headers['cache-control'], route).toBe('no-cache');
      expect(page.body.toString()).toBe(INDEX);
    }
    expect((await get('/favicon.svg')).headers['cache-control']).toBe('public, max-age=3600');
  });

  test.each([
    ['gzip, deflate, br', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['*', 'br'],
    ['identity', null],
    ['', null],
  ] as const)('Accept-Encoding "%s" → %s', (header, expected) => {
    expect(chooseEncoding(header)).toBe(expected);
  });
});
