/**
 * A round record written before a timeline mark said what made it (`by`) told that by its `actor`
 * alone: `instructor`, `scenario`, or a player's name. Read now, it shows as it did: each mark (and
 * each of its stored view's) gets `by` from that actor, the recoveries are measured from the same
 * faults, and a record still running goes on from it.
 */
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { isFaultMade, type RoundView } from '@shared/protocol';
import { connectRedis, type RedisClient } from '../redis/connect';
import { RoundRecords, type RoundRecord } from './round-record';

let redis: RedisClient;
let records: RoundRecords;

beforeAll(async () => {
  redis = await connectRedis(inject('redisUrl'));
  records = new RoundRecords(redis, `${inject('redisKeyPrefix')}-round-record`);
});

afterAll(async () => {
  await redis?.close();
});

/** node-dies' marks as a record of the last version stored them: no `by`, who in `actor`. */
const OLD_TIMELINE = [
  { atSeconds: 0, kind: 'phase', text: 'round started: A worker node dies', actor: 'instructor' },
  { atSeconds: 20, kind: 'fault', text: 'the kubelet on node-2 is stopped', actor: 'scenario' },
  { atSeconds: 61.2, kind: 'fault', text: 'node-2 Ready: Unknown', actor: 'bot (controller-manager)' },
  { atSeconds: 62, kind: 'goal', text: 'goal no longer met: three pods Ready again, on the nodes that are alive' },
  { atSeconds: 92, kind: 'fault', text: 'web-1 evicted from node-2: Terminating', actor: 'bot (controller-manager)' },
  { atSeconds: 92, kind: 'goal', text: 'goal reached: no pod on node-2 but Terminating ones', actor: 'bot (controller-manager)' },
  { atSeconds: 101, kind: 'refusal', text: 'refused: bind web-4 (Conflict) pods "web-4" is already assigned to node "node-3"', actor: 'Kim' },
];
const NEW_TIMELINE = [
  { atSeconds: 0, kind: 'phase', text: 'round started: A worker node dies', by: 'instructor' },
  { atSeconds: 20, kind: 'fault', text: 'the kubelet on node-2 is stopped', by: 'scenario' },
  { atSeconds: 61.2, kind: 'fault', text: 'node-2 Ready: Unknown', by: 'cluster', actor: 'bot (controller-manager)' },
  { atSeconds: 62, kind: 'goal', text: 'goal no longer met: three pods Ready again, on the nodes that are alive', by: 'round' },
  { atSeconds: 92, kind: 'fault', text: 'web-1 evicted from node-2: Terminating', by: 'cluster', actor: 'bot (controller-manager)' },
  { atSeconds: 92, kind: 'goal', text: 'goal reached: no pod on node-2 but Terminating ones', by: 'cluster', actor: 'bot (controller-manager)' },
  { atSeconds: 101, kind: 'refusal', text: 'refused: bind web-4 (Conflict) pods "web-4" is already assigned to node "node-3"', by: 'cluster', actor: 'Kim' },
];

const oldView = {
  scenario: 'node-dies',
  title: 'A worker node dies',
  objective: 'Keep three pods Ready while node-2 dies.',
  briefing: 'node-2 will stop.',
  phase: 'running',
  seed: 7,
  goals: [],
  startedAt: '2026-12-01T10:00:00.000Z',
  startedAtSim: 1_000_000,
  elapsedSeconds: 101,
  timeLimitSeconds: 300,
  scores: [],
  teams: [],
  activity: [],
  timeline: OLD_TIMELINE,
};
const oldRecord = {
  scenario: 'node-dies',
  seed: 7,
  phase: 'running',
  generation: 2,
  startedAt: '2026-12-01T10:00:00.000Z',
  startedAtSim: 1_000_000,
  goals: {},
  allMetAtSim: [1_000_000],
  timeline: OLD_TIMELINE,
  readOnly: false,
  traffic: {},
  spikes: {},
  view: oldView,
};

test('a record stored before `by` reads with it, from each mark\'s actor: the scenario\'s fault is the one fault made, the moments are the cluster\'s', async () => {
  // Written as the last version wrote it (its JSON, as is).
  await records.update('old-marks', () => oldRecord as unknown as RoundRecord);
  expect(JSON.parse((await redis.hGet(`${inject('redisKeyPrefix')}-round-record:{old-marks}:round`, 'record')) ?? '{}')).toEqual(oldRecord);

  const read = await records.read('old-marks');
  expect(read?.timeline).toEqual(NEW_TIMELINE);
  expect(read?.view?.timeline).toEqual(NEW_TIMELINE);
  // The rest of the record as it was.
  expect(read).toEqual({ ...oldRecord, timeline: NEW_TIMELINE, view: { ...oldView, timeline: NEW_TIMELINE } as RoundView });
  // The recoveries of an old round are measured from the fault they were measured from then.
  expect(read?.timeline.filter(isFaultMade).map((m) => m.text)).toEqual(['the kubelet on node-2 is stopped']);

  // A round still running goes on from it: a change sees the marks with `by`, and writes them so.
  const written = await records.update('old-marks', (r) => {
    expect(r?.timeline).toEqual(NEW_TIMELINE);
    return r && { ...r, phase: 'won' };
  });
  expect(written?.timeline).toEqual(NEW_TIMELINE);
  expect((await records.read('old-marks'))?.phase).toBe('won');
});
