/**
 * The round a screen gets says whether etcd takes writes (scenario 7's fault): the fault changes the
 * round's record without composing a new view, so the view sent is told it from the record, and
 * the schema every client parses the `round` event with keeps it.
 */
import { expect, test } from 'vitest';
import { roundViewSchema, type RoundView, type SimClock } from '@shared/protocol';
import { newRecord } from './round-record';
import { liveView } from './round-service';

const clock: SimClock = { simAtWall: 31_000, wall: 0, timeScale: 1, paused: true };

function running(readOnly: boolean) {
  const record = { ...newRecord('etcd-read-only', 7, 2), phase: 'running' as const, startedAtSim: 0, readOnly };
  const view: RoundView = {
    scenario: 'etcd-read-only',
    title: 'etcd is the memory',
    objective: '',
    briefing: '',
    phase: 'running',
    seed: 7,
    goals: [],
    startedAt: '2026-12-02T08:00:00.000Z',
    startedAtSim: 0,
    elapsedSeconds: 0,
    timeLimitSeconds: 300,
    scores: [],
    teams: [],
    activity: [],
    timeline: [],
  };
  return roundViewSchema.parse(liveView({ ...record, view }, view, clock));
}

test('[etcd read-only] the round sent while etcd takes no writes says so; once it takes them, it says nothing', () => {
  expect(running(true)?.etcdReadOnly).toBe(true);
  expect(running(false)).not.toHaveProperty('etcdReadOnly');
});
