/**
 * Hostile input, seeded: at least 10,000 malformed payloads across every socket event and HTTP
 * route. Each one must be refused (never ok, never InternalError, never a 5xx), ack-less requests
 * answered with a `refused` event; afterwards the target classroom, the other classroom and the
 * list of classrooms are unchanged, the server holds no more sockets, rooms or heap than before,
 * and it still answers. A failing payload is printed with the seed: keep it as a named case.
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import fc from 'fast-check';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { actionComponent, clusterAction, createClassroomRequest, ErrorCode, instructorAction, joinClassroomRequest, type Refusal } from '@shared/protocol';
import type { RunningServer } from './app';
import { assignRoles, classroomWith, connectCluster, type Classroom, type ClusterClient } from './cluster/testing/cluster-client';
import { startTestServer } from './testing/test-server';
import { waitFor } from './testing/wait';

const SEED = 20261130;
const SOCKET_PAYLOADS = 7000;
const HTTP_PAYLOADS = 3000;
const BATCH = 100;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const PREFIX = `${inject('redisKeyPrefix')}-fuzz`;
let server: RunningServer;
let redis: ReturnType<typeof createClient>;
let target: Classroom;
let other: Classroom;
let instructor: ClusterClient;
let student: ClusterClient;
let anonymous: ClusterClient['socket'];
let bystander: ClusterClient;

beforeAll(async () => {
  server = await startTestServer({
    REDIS_KEY_PREFIX: PREFIX,
    JOIN_RATE_LIMIT: '1000000',
    SOCKET_RATE_PER_SECOND: '100000',
    SOCKET_RATE_BURST: '100000',
    // The anonymous sender must outlive both rounds of payloads, however slow a loaded machine is.
    ANONYMOUS_SOCKET_TIMEOUT_SECONDS: '3600',
  });
  target = await classroomWith(server.url, ['ada']);
  other = await classroomWith(server.url, ['bob']);
  instructor = await connectCluster(server.url, target.instructorToken);
  await assignRoles(instructor, target, { ada: 'scheduler' });
  student = await connectCluster(server.url, target.students.get('ada')?.token ?? '');
  bystander = await connectCluster(server.url, other.instructorToken);
  // Leader election writes the teams' Leases as members come and go (a CI run once saw the
  // scheduler's Lease land just after the fuzz's "nothing changed" snapshot): wait until both
  // classrooms' stores are still for a second.
  let versions = '';
  await waitFor(
    async () => {
      const now = (await Promise.all([target, other].map((c) => server.cluster.store.snapshot(c.id)))).map((s) => s.resourceVersion).join(' ');
      const still = now === versions;
      versions = now;
      return still;
    },
    { what: 'both classrooms still', intervalMs: 1000 },
  );
  const { io } = await import('socket.io-client');
  anonymous = io(server.url, { transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve) => anonymous.once('connect', () => resolve()));
  redis = createClient({ url: inject('redisUrl') });
  await redis.connect();
}, 60_000);

afterAll(async () => {
  for (const c of [instructor, student, bystander]) c?.close();
  anonymous?.close();
  await redis?.close();
  await server?.close();
});

// ---- payloads --------------------------------------------------------------------------------

const ACTION_KINDS = Object.keys(actionComponent);
const INSTRUCTOR_KINDS = instructorAction.options.map((o) => o.shape.kind.value);
const FIELDS = ['pod', 'node', 'resourceVersion', 'container', 'replicaSet', 'deployment', 'service', 'taint', 'key', 'effect', 'manifest', 'role', 'studentId', 'locked', 'timeScale', 'fault', 'enabled', 'secondsPerAction', 'callId', 'condition', 'status', 'object', 'scenario'];

const oddString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '__proto__', 'constructor', '../../etc/passwd', '<script>alert(1)</script>', 'node-1', 'node-99', '-1', '1e309', '99999999999999999999', '\u0000', '\ud800', 'a'.repeat(300)),
);
const oddValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), oddString, fc.constantFrom(null, true, -1, 0, 1.5, 1e308, Number.MAX_SAFE_INTEGER + 2));
/** Objects that look like a request: a real kind, fields of the wrong type, missing or too many. */
const nearMiss = (kinds: string[]) =>
  fc.tuple(fc.constantFrom(...kinds), fc.dictionary(fc.constantFrom(...FIELDS), oddValue, { maxKeys: 5 })).map(([kind, fields]) => ({ ...fields, kind }));
const yamlish = fc.oneof(
  fc.string({ unit: fc.constantFrom('k', 'i', 'n', 'd', ':', ' ', '\n', '-', '&', '*', '{', '}', '[', ']', '!', '|', '>', '"', "'", '#', 'a', '1'), maxLength: 200 }),
  fc.integer({ min: 2, max: 9 }).map((n) => `kind: Pod\na: &a [${Array(n).fill('"lol"').join(',')}]\n${Array.from({ length: 6 }, (_, i) => `x${i}: &x${i} [${Array(n).fill(i ? `*x${i - 1}` : '*a').join(',')}]`).join('\n')}`),
  fc.integer({ min: 50, max: 5000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.constantFrom('kind: Pod', 'kind: Pod\nmetadata: 5', 'kind: Node\nmetadata: { name: [1] }', '- *nope', 'a: !!binary x', '<<: *a', 'kind: Secret\nmetadata: {name: s}'),
);

const malformedAction = fc.oneof(oddValue, nearMiss(ACTION_KINDS)).filter((p) => !clusterAction.safeParse(p).success);
const malformedInstructor = fc
  .oneof(oddValue, nearMiss(INSTRUCTOR_KINDS), yamlish.map((manifest) => ({ kind: 'apply', manifest })))
  .filter((p) => {
    const parsed = instructorAction.safeParse(p);
    // A manifest that parses is still malformed as YAML or Kubernetes: the API server must refuse it.
    return !parsed.success || parsed.data.kind === 'apply';
  });
const malformedResync = oddValue.filter((p) => !(typeof p === 'object' && p !== null && 'resourceVersion' in p && /^[0-9]{1,15}$/.test(String(p.resourceVersion))));

type Sender = 'instructor' | 'student' | 'anonymous';
interface SocketCase {
  sender: Sender;
  event: string;
  args: unknown[];
  /** false: sent without an ack callback; the answer is a `refused` event. */
  ack: boolean;
}
const socketCase: fc.Arbitrary<SocketCase> = fc.oneof(
  fc.record({ sender: fc.constantFrom<Sender>('student', 'instructor', 'anonymous'), event: fc.constant('action'), args: malformedAction.map((p) => [p]), ack: fc.constant(true) }),
  fc.record({ sender: fc.constantFrom<Sender>('instructor', 'student', 'anonymous'), event: fc.constant('instructor'), args: malformedInstructor.map((p) => [p]), ack: fc.constant(true) }),
  fc.record({ sender: fc.constantFrom<Sender>('instructor', 'student', 'anonymous'), event: fc.constant('resync'), args: malformedResync.map((p) => [p]), ack: fc.constant(true) }),
  // Right payload shape or not, without an ack or with extra arguments: refused all the same.
  fc.record({ sender: fc.constantFrom<Sender>('instructor', 'student'), event: fc.constantFrom('action', 'instructor', 'resync'), args: fc.array(oddValue, { minLength: 0, maxLength: 3 }), ack: fc.constant(false) }),
  fc.record({ sender: fc.constantFrom<Sender>('instructor', 'student'), event: fc.constantFrom('action', 'instructor', 'resync'), args: fc.array(oddValue, { minLength: 2, maxLength: 4 }), ack: fc.constant(true) }),
  fc.record({ sender: fc.constantFrom<Sender>('instructor', 'student', 'anonymous'), event: fc.oneof(oddString, fc.constantFrom('hello', 'snapshot', 'watch', 'join', 'refused')), args: fc.array(oddValue, { maxLength: 2 }), ack: fc.boolean() }).filter((c) => !['action', 'instructor', 'resync', 'disconnect', 'connect', 'connect_error', 'newListener', 'removeListener'].includes(c.event)),
);

interface HttpCase {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: string;
}
const jsonBody = (schema: { safeParse(v: unknown): { success: boolean } }) =>
  fc.oneof(oddValue, fc.dictionary(fc.constantFrom('title', 'nodes', 'scenario', 'code', 'name', 'admin', '__proto__'), oddValue, { maxKeys: 4 })).filter((v) => !schema.safeParse(v).success).map((v) => JSON.stringify(v) ?? 'null');
const contentType = fc.oneof(
  fc.constant('application/json'),
  fc.constantFrom('application/json; charset=latin1', 'application/json; charset=utf-bogus', 'application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/merge-patch+json', '*/*', ''),
  oddString.map((s) => s.replace(/[^\x20-\x7e]/g, '')),
);
const headersOf = (type: string): Record<string, string> => (type ? { 'content-type': type } : {});
const httpCase: fc.Arbitrary<HttpCase> = fc.oneof(
  fc.record({ method: fc.constant('POST' as const), path: fc.constant('/api/classrooms'), headers: contentType.map(headersOf), body: jsonBody(createClassroomRequest) }),
  fc.record({ method: fc.constant('POST' as const), path: fc.constant('/api/classrooms/join'), headers: contentType.map(headersOf), body: jsonBody(joinClassroomRequest) }),
  fc.record({
    method: fc.constant('POST' as const),
    path: fc.constantFrom('/api/classrooms', '/api/classrooms/join'),
    headers: fc.record({ 'content-type': fc.constant('application/json'), 'content-encoding': fc.constantFrom('gzip', 'deflate', 'br', 'x-bogus', 'identity, gzip') }),
    body: jsonBody(joinClassroomRequest),
  }),
  fc.record({ method: fc.constant('POST' as const), path: fc.constantFrom('/api/classrooms', '/api/classrooms/join'), headers: fc.constant({ 'content-type': 'application/json' }), body: fc.string({ minLength: 1, maxLength: 60 }).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }) }),
  fc.record({ method: fc.constantFrom('GET' as const, 'PUT' as const, 'DELETE' as const, 'POST' as const), path: fc.oneof(fc.constantFrom('/api/classrooms', '/api/classrooms/join', '/api/', '/api/classrooms/..%2f', '/healthz', '/readyz', '/api/classrooms?x=1'), oddString.map((s) => `/api/${encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))}`)), headers: fc.constant({ 'content-type': 'application/json' }), body: fc.constant('{"title":') }),
);

// ---- driving ---------------------------------------------------------------------------------

function socketOf(sender: Sender): { emit(event: string, ...args: unknown[]): void } {
  const socket = sender === 'instructor' ? instructor.socket : sender === 'student' ? student.socket : anonymous;
  return socket as unknown as { emit(event: string, ...args: unknown[]): void };
}

function send(c: SocketCase): Promise<unknown> {
  const socket = socketOf(c.sender);
  if (!c.ack) {
    socket.emit(c.event, ...c.args);
    return Promise.resolve('no ack');
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('no answer within 5 s'), 5000);
    socket.emit(c.event, ...c.args, (reply: unknown) => {
      clearTimeout(timer);
      resolve(reply);
    });
  });
}

const isRefusal = (reply: unknown): reply is Refusal =>
  typeof reply === 'object' && reply !== null && 'ok' in reply && reply.ok === false && 'code' in reply && (Object.values(ErrorCode) as unknown[]).includes(reply.code) && reply.code !== 'InternalError';

async function request(c: HttpCase): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${server.url}${c.path}`, { method: c.method, headers: c.headers, ...(c.method === 'GET' ? {} : { body: c.body ?? '' }) });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: res.status, body: text };
  }
}

async function state() {
  const store = server.cluster.runtime.store;
  const [a, b, viewA, viewB, codes] = await Promise.all([
    store.snapshot(target.id),
    store.snapshot(other.id),
    server.classrooms.view(target.id),
    server.classrooms.view(other.id),
    redis.hLen(`${PREFIX}:codes`),
  ]);
  const io = server.gateway.io;
  return { a, b, viewA, viewB, codes, sockets: io.of('/').sockets.size, rooms: io.of('/').adapter.rooms.size };
}

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** Sends every case, in batches; returns the ones not refused as they should be. */
async function round(socketCases: SocketCase[], httpCases: HttpCase[]): Promise<string[]> {
  const failures: string[] = [];
  for (let i = 0; i < socketCases.length; i += BATCH) {
    const batch = socketCases.slice(i, i + BATCH);
    const replies = await Promise.all(batch.map(send));
    batch.forEach((c, j) => {
      const reply = replies[j];
      if (c.ack ? !isRefusal(reply) : reply !== 'no ack') failures.push(`socket ${JSON.stringify(c).slice(0, 400)} -> ${JSON.stringify(reply).slice(0, 300)}`);
    });
  }
  for (let i = 0; i < httpCases.length; i += 20) {
    const batch = httpCases.slice(i, i + 20);
    const answers = await Promise.all(batch.map(request));
    batch.forEach((c, j) => {
      const { status, body } = answers[j] ?? { status: 0, body: null };
      const refused = status >= 400 && status < 500 && isRefusal({ ok: false, ...(body as object) });
      if (c.path.startsWith('/api/') ? !refused : status >= 500) failures.push(`http ${JSON.stringify(c).slice(0, 400)} -> ${status} ${JSON.stringify(body).slice(0, 300)}`);
    });
  }
  await server.gateway.deps.work.drain();
  // What the test itself keeps (the request-log entries broadcast to its clients) is not the server's.
  instructor.requests.length = 0;
  student.requests.length = 0;
  return failures;
}

describe(`fuzz (seed ${SEED}): ${SOCKET_PAYLOADS + HTTP_PAYLOADS} malformed payloads`, () => {
  it('are each refused, change nothing, leak nothing, and the server still answers', { timeout: 300_000 }, async () => {
    const socketCases = fc.sample(socketCase, { seed: SEED, numRuns: SOCKET_PAYLOADS });
    const httpCases = fc.sample(httpCase, { seed: SEED + 1, numRuns: HTTP_PAYLOADS });
    const refusedEvents: unknown[] = [];
    for (const c of [instructor, student]) c.socket.on('refused', (r) => refusedEvents.push(r));
    const leaked: unknown[] = [];
    bystander.socket.on('refused', (r) => leaked.push(r));
    const before = await state();

    const started = Date.now();
    const failures = await round(socketCases, httpCases);
    const expectedRefusedEvents = socketCases.filter((c) => !c.ack && ['action', 'instructor', 'resync'].includes(c.event) && c.sender !== 'anonymous').length;
    await waitFor(() => refusedEvents.length >= expectedRefusedEvents, { what: `${expectedRefusedEvents} refused events`, timeoutMs: 10_000 }).catch(() => undefined);
    const took = Date.now() - started;

    expect(failures.slice(0, 10), `seed ${SEED}: ${failures.length} payload(s) not refused`).toEqual([]);
    expect(refusedEvents).toHaveLength(expectedRefusedEvents);
    expect(refusedEvents.every((r) => isRefusal(r))).toBe(true);
    expect(leaked).toEqual([]);
    expect(await state()).toEqual(before);

    // Memory: the first round compiled code and filled caches; the same payloads again must leave
    // the heap where it was: 8 MB over 10,000 requests catches anything kept per request above ~800 bytes.
    const heapBefore = heapMb();
    expect(await round(socketCases, httpCases)).toEqual([]);
    const heapAfter = heapMb();
    const after = await state();
    expect(after).toEqual(before);
    console.info(`fuzz: ${socketCases.length} socket + ${httpCases.length} HTTP payloads in ${took} ms (${expectedRefusedEvents} refused events); the same again: heap ${heapBefore.toFixed(1)} -> ${heapAfter.toFixed(1)} MB`);
    expect(heapAfter - heapBefore).toBeLessThan(8);

    // Still answering: HTTP, and every socket.
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(await instructor.socket.timeout(5000).emitWithAck('resync', { resourceVersion: after.a.resourceVersion })).toEqual({ ok: true, events: [] });
    expect(await student.act({ kind: 'markUnschedulable', pod: 'no-such-pod', resourceVersion: '1' })).toMatchObject({ ok: false });
    expect(await instructor.instructor({ kind: 'lockRoom', locked: false })).toEqual({ ok: true });
  });
});
