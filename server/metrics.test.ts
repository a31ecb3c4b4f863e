/**
 * GET /metrics scraped as Prometheus would, while a classroom plays: the API server's requests by
 * verb and code, the action → ack histogram, the watch fan-out, sockets, classrooms and bots of
 * this process, Redis' round trip and Node's defaults.
 */
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { httpStatusOf, type ClusterAction } from '@shared/protocol';
import type { RunningServer } from './app';
import { assignRoles, classroomWith, connectCluster, type ClusterClient } from './cluster/testing/cluster-client';
import { startTestServer } from './testing/test-server';
import { waitFor } from './testing/wait';

let server: RunningServer;
const clients: ClusterClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ JOIN_RATE_LIMIT: '100000', REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-metrics`, SOCKET_RATE_PER_SECOND: '1000', SOCKET_RATE_BURST: '1000' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.close();
});

/** One scrape: the samples by their full name with labels, as the exposition format writes them. */
async function scrape(): Promise<{ contentType: string; samples: Map<string, number> }> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return { contentType: res.headers.get('content-type') ?? '', samples };
}

describe('/metrics', () => {
  test('a real scrape while a classroom plays shows its requests, acks, fan-out, sockets, classrooms, bots, Redis round trip and Node defaults', { timeout: 60_000 }, async () => {
    const classroom = await classroomWith(server.url, ['sam']);
    const instructor = await connectCluster(server.url, classroom.instructorToken);
    clients.push(instructor);
    await assignRoles(instructor, classroom, { sam: 'scheduler' });
    const sam = await connectCluster(server.url, classroom.students.get('sam')?.token ?? '');
    clients.push(sam);
    for (const action of [{ kind: 'setTimeScale', timeScale: 20 }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'start' }] as const) {
      expect(await instructor.instructor(action)).toMatchObject({ ok: true });
    }
    const reply = await sam.act({ kind: 'bind', pod: 'no-such-pod', node: 'node-1', resourceVersion: '1' } as ClusterAction);
    expect(reply.ok).toBe(false);
    const code = reply.ok ? 200 : httpStatusOf[reply.code];
    // The bots play, the watch fans out to both sockets.
    await waitFor(() => BigInt(instructor.state.resourceVersion) > 30n, { what: 'the bots under way' });

    const { contentType, samples } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(samples.get(`clusterplay_apiserver_requests_total{verb="bind",code="${code}"}`)).toBe(1);
    // The bots' requests go through the same API server: the controller manager's accepted ones too.
    expect([...samples].some(([name, value]) => name.startsWith('clusterplay_apiserver_requests_total{verb="') && name.endsWith('code="200"}') && value > 0)).toBe(true);
    expect(samples.get('clusterplay_action_ack_seconds_count')).toBe(1);
    expect(samples.get('clusterplay_action_ack_seconds_bucket{le="+Inf"}')).toBe(1);
    expect(samples.get('clusterplay_sockets')).toBe(2);
    expect(samples.get('clusterplay_classrooms')).toBe(1);
    // Every seat but sam's is played by a bot.
    expect(samples.get('clusterplay_bots')).toBe((instructor.view?.seats.filter((s) => s.bot === 'playing').length ?? 0));
    expect(samples.get('clusterplay_bots')).toBeGreaterThan(5);
    expect(samples.get('clusterplay_sim_timers')).toBeGreaterThanOrEqual(0);
    // Each batch sent since both sockets follow the watch went to both: counted between two scrapes
    // (a batch flushed while sam's socket was still joining went to one).
    const rvAtScrape = BigInt(instructor.state.resourceVersion);
    await waitFor(() => BigInt(instructor.state.resourceVersion) > rvAtScrape + 5n && BigInt(sam.state.resourceVersion) > rvAtScrape + 5n, { what: 'more changes seen by both' });
    const later = (await scrape()).samples;
    const batches = (later.get('clusterplay_watch_batches_total') ?? 0) - (samples.get('clusterplay_watch_batches_total') ?? 0);
    const sent = (later.get('clusterplay_watch_events_sent_total') ?? 0) - (samples.get('clusterplay_watch_events_sent_total') ?? 0);
    expect(batches).toBeGreaterThan(0);
    expect(sent).toBeGreaterThanOrEqual(2 * batches);
    const roundTrip = samples.get('clusterplay_redis_round_trip_seconds') ?? Number.NaN;
    expect(roundTrip).toBeGreaterThan(0);
    expect(roundTrip).toBeLessThan(1);
    expect(samples.get('process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect(samples.has('nodejs_eventloop_lag_seconds')).toBe(true);
  });
});
