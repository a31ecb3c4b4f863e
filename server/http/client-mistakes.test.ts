import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ErrorBody } from '@shared/protocol';
import type { RunningServer } from '../app';
import { connectMember, post, type TestClient } from '../gateway/test-clients';
import { startTestServer } from '../testing/test-server';
import { BODY_TIMEOUT_MS } from './app';

/** Client mistakes are the client's: 4xx with `{ code, message }`, never 500. */

let server: RunningServer;
const clients: TestClient[] = [];
beforeAll(async () => {
  // Its own key prefix: the address's classroom allowance below is counted apart from other files.
  server = await startTestServer({ REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-http`, JOIN_RATE_LIMIT: '5', JOIN_RATE_WINDOW_SECONDS: '60' });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await server.close();
});

async function send(path: string, headers: Record<string, string>, body: string | Buffer): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}

const join = (headers: Record<string, string>, body: string | Buffer = '{"code":"ABCDEF","name":"Ada"}') => send('/api/classrooms/join', headers, body);

describe('HTTP: client mistakes are 4xx with { code, message }', () => {
  it('refuses a JSON body in latin1 or in a made-up charset with 415 UnsupportedMediaType', async () => {
    expect(await join({ 'content-type': 'application/json; charset=latin1' })).toEqual({
      status: 415,
      body: { code: 'UnsupportedMediaType', message: 'the request body\'s charset "latin1" is not supported: send JSON in UTF-8' },
    });
    expect(await join({ 'content-type': 'application/json; charset=utf-bogus' })).toEqual({
      status: 415,
      body: { code: 'UnsupportedMediaType', message: 'the request body\'s charset "utf-bogus" is not supported: send JSON in UTF-8' },
    });
  });

  it('[fuzz seed 20261130] refuses utf-16 JSON with 415, and a body that is empty (or inflates to nothing) with 400', async () => {
    expect(await send('/api/classrooms', { 'content-type': 'application/json; charset=utf-16' }, '0')).toEqual({
      status: 415,
      body: { code: 'UnsupportedMediaType', message: 'the request body\'s charset "utf-16" is not supported: send JSON in UTF-8' },
    });
    const empty = { status: 400, body: { code: 'BadRequest', message: 'the request body is empty: send a JSON object ({} for the defaults)' } };
    expect(await send('/api/classrooms/join', { 'content-type': 'application/json', 'content-encoding': 'br' }, '9007199254740992')).toEqual(empty);
    expect(await send('/api/classrooms/join', { 'content-type': 'application/json' }, '')).toEqual(empty);
  });

  it('refuses a plain body labelled gzip or deflate with 400 BadRequest, and an unknown Content-Encoding with 415', async () => {
    for (const encoding of ['gzip', 'deflate']) {
      expect(await join({ 'content-type': 'application/json', 'content-encoding': encoding }), encoding).toEqual({
        status: 400,
        body: { code: 'BadRequest', message: `the request body is not valid ${encoding} data (Content-Encoding: ${encoding})` },
      });
    }
    expect(await join({ 'content-type': 'application/json', 'content-encoding': 'x-bogus' })).toEqual({
      status: 415,
      body: { code: 'UnsupportedMediaType', message: 'Content-Encoding "x-bogus" is not supported: send the body as it is, or gzip, deflate or br' },
    });
  });

  it(`answers a request body that never finishes with 408 after ${BODY_TIMEOUT_MS / 1000} s and closes the connection`, { timeout: BODY_TIMEOUT_MS + 10_000 }, async () => {
    const started = Date.now();
    const { port } = new URL(server.url);
    const answer = await new Promise<{ status: number; body: unknown; connection: string | undefined }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/classrooms/join', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown, connection: res.headers.connection }));
      });
      req.on('error', reject);
      req.write('{"code":'); // ... and never the rest
    });
    expect(answer).toEqual({
      status: 408,
      body: { code: 'BadRequest', message: `the request body did not arrive within ${BODY_TIMEOUT_MS / 1000} s; send the whole body at once` },
      connection: 'close',
    });
    expect(Date.now() - started).toBeLessThan(BODY_TIMEOUT_MS + 3000);
  });

  it('creates classrooms from JSON only: text/plain, a form, and a body without a type are 415 UnsupportedMediaType', async () => {
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ 'content-type': 'text/plain' }, '{"title":"x"}', 'text/plain'],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 'title=x', 'application/x-www-form-urlencoded'],
      [{ 'content-type': 'multipart/form-data; boundary=b' }, '--b\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n--b--\r\n', 'multipart/form-data'],
    ];
    for (const [headers, body, type] of cases) {
      expect(await send('/api/classrooms', headers, body), type).toEqual({
        status: 415,
        body: { code: 'UnsupportedMediaType', message: `POST /api/classrooms takes a JSON body (Content-Type: application/json), not ${type}` },
      });
    }
    const empty = await fetch(`${server.url}/api/classrooms`, { method: 'POST' });
    expect({ status: empty.status, body: await empty.json() }).toEqual({
      status: 415,
      body: { code: 'UnsupportedMediaType', message: 'POST /api/classrooms takes a JSON body (Content-Type: application/json)' },
    });
  });

  it('limits classroom creation per address: beyond the allowance, 429 TooManyRequests with Retry-After', async () => {
    const answers: number[] = [];
    for (let i = 0; i < 7; i++) answers.push((await post<ErrorBody>(server.url, '/api/classrooms', { title: `c${i}` })).status);
    expect(answers).toEqual([201, 201, 201, 201, 201, 429, 429]);
    const refused = await post<ErrorBody>(server.url, '/api/classrooms', {});
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(refused.body).toEqual({ code: 'TooManyRequests', message: 'too many classrooms created from this address: at most 5 per 60 s; wait a minute and try again' });
    // Joins have their own allowance.
    expect((await join({ 'content-type': 'application/json' })).status).toBe(404);
  });
});

describe('apply: a YAML alias bomb is the client\'s mistake', () => {
  it('answers a "billion laughs" manifest with BadRequest, not InternalError', async () => {
    // This address's allowance is used up above: the classroom comes from the repository.
    const { instructorToken } = await server.classrooms.create({});
    const instructor = await connectMember(server.url, instructorToken);
    clients.push(instructor);
    const laughs = [
      'kind: Pod',
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      'metadata: { name: lol, labels: { x: *f } }',
    ].join('\n');
    expect(await instructor.instructor({ kind: 'apply', manifest: laughs })).toEqual({
      ok: false,
      code: 'BadRequest',
      message: 'the manifest cannot be read: it uses YAML aliases more than 50 times (a "billion laughs" document?)',
    });
  });
});
