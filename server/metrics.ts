/**
 * This process's metrics in Prometheus' text format (GET /metrics), one registry per server so
 * several servers in one test process never mix. Names follow Prometheus' conventions (base units,
 * `_total` counters); the API server's requests are counted by verb and HTTP code as Kubernetes'
 * `apiserver_request_total` is.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the gauges read at scrape time. */
export interface MetricSources {
  /** Sockets connected to this process. */
  sockets(): number;
  /** Classrooms with at least one socket on this process (each has one watch feed here). */
  classrooms(): number;
  /** Bots playing a seat in the running classrooms this process owns. */
  bots(): number;
  /** Classrooms whose control work (timers, bots, heartbeats) this process owns by lease. */
  classroomsOwned(): number;
  /** Classrooms this process keeps an informer cache of (owned, or asked by a local socket). */
  classroomsCached(): number;
  /** Sim timers held in memory for the classrooms this process owns. */
  simTimers(): number;
  /** One round trip to Redis, in seconds; rejects when Redis does not answer. */
  redisRoundTrip(): Promise<number>;
}

/** Verbs are the request kinds; a client could send any string, so labels beyond this many distinct ones become `other`. */
const MAX_VERBS = 100;

export class Metrics {
  readonly registry = new Registry();
  private readonly verbs = new Set<string>();
  private readonly apiRequests = new Counter({
    name: 'clusterplay_apiserver_requests_total',
    help: 'Requests decided by the API server (students, bots, the instructor), by verb and HTTP response code.',
    labelNames: ['verb', 'code'] as const,
    registers: [this.registry],
  });
  private readonly actionAck = new Histogram({
    name: 'clusterplay_action_ack_seconds',
    help: "Time from a socket's cluster action arriving to its acknowledgement being sent.",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly watchBatches = new Counter({
    name: 'clusterplay_watch_batches_total',
    help: 'Watch batches emitted to the sockets of a classroom on this process.',
    registers: [this.registry],
  });
  private readonly watchEventsSent = new Counter({
    name: 'clusterplay_watch_events_sent_total',
    help: 'Watch events sent to sockets on this process: each event counted once per socket it went to (the fan-out).',
    registers: [this.registry],
  });

  constructor(sources: MetricSources) {
    // The event-loop delay histogram samples every 100 ms, not prom-client's 10 ms: a timer waking an
    // idle process 100 times a second cost a third of its idle CPU (1.7 -> 1.1 % of a core, 3 runs each).
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
    const registers = [this.registry];
    new Gauge({ name: 'clusterplay_sockets', help: 'Sockets connected to this process.', registers, collect: gauge(sources.sockets) });
    new Gauge({ name: 'clusterplay_classrooms', help: 'Classrooms with a socket on this process.', registers, collect: gauge(sources.classrooms) });
    new Gauge({ name: 'clusterplay_bots', help: 'Bots playing a seat in the running classrooms this process owns.', registers, collect: gauge(sources.bots) });
    new Gauge({ name: 'clusterplay_classrooms_owned', help: 'Classrooms whose control work this process owns by lease.', registers, collect: gauge(sources.classroomsOwned) });
    new Gauge({ name: 'clusterplay_classrooms_cached', help: 'Classrooms this process keeps an informer cache of.', registers, collect: gauge(sources.classroomsCached) });
    new Gauge({ name: 'clusterplay_sim_timers', help: 'Sim timers (CRI calls, container exits, bot wake-ups) pending in memory for the classrooms this process owns.', registers, collect: gauge(sources.simTimers) });
    new Gauge({
      name: 'clusterplay_redis_round_trip_seconds',
      help: 'One PING to Redis at scrape time; NaN when Redis does not answer.',
      registers,
      async collect() {
        this.set(await sources.redisRoundTrip().catch(() => Number.NaN));
      },
    });
  }

  apiRequest(verb: string, code: number): void {
    if (!this.verbs.has(verb) && this.verbs.size >= MAX_VERBS) verb = 'other';
    this.verbs.add(verb);
    this.apiRequests.inc({ verb, code: String(code) });
  }

  /** Starts the action → ack timer; call the result when the ack is sent. */
  actionStarted(): () => void {
    return this.actionAck.startTimer();
  }

  watchFanOut(events: number, sockets: number): void {
    this.watchBatches.inc();
    this.watchEventsSent.inc(events * sockets);
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function gauge(read: () => number) {
  return function (this: Gauge) {
    this.set(read());
  };
}
