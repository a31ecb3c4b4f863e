import { describe, expect, it } from 'vitest';
import { makeNode, makePod } from '@shared/model';
import { isFaultMade } from './rounds';
import { ackSchema, roundTimelineMarkSchema, snapshotSchema, watchEventsSchema } from './server-messages';

describe('server messages are checked on arrival, before they reach the store', () => {
  it('a snapshot of model objects with a decimal resourceVersion is accepted as is', () => {
    const snapshot = { resourceVersion: '42', objects: [makeNode('node-1'), makePod('web-1')] };
    expect(snapshotSchema.parse(snapshot)).toEqual(snapshot);
  });

  it('an object without kind or metadata.name, or a resourceVersion that is not a number, is refused', () => {
    expect(snapshotSchema.safeParse({ resourceVersion: '42', objects: [{ kind: 'Pod', metadata: {} }] }).success).toBe(false);
    expect(snapshotSchema.safeParse({ resourceVersion: 'abc', objects: [] }).success).toBe(false);
    const event = { type: 'ADDED', object: makePod('web-1'), resourceVersion: '7', actor: 'bot:scheduler', simTime: 0, wallTime: 0 };
    expect(watchEventsSchema.safeParse([event]).success).toBe(true);
    expect(watchEventsSchema.safeParse([{ ...event, type: 'BOOKMARKED' }]).success).toBe(false);
  });

  it('an ack is either ok or a refusal with a Kubernetes reason and a message', () => {
    expect(ackSchema.parse({ ok: true, resourceVersion: '8' })).toEqual({ ok: true, resourceVersion: '8' });
    expect(ackSchema.parse({ ok: false, code: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' }).ok).toBe(false);
    expect(ackSchema.safeParse({ ok: false, code: 'Nope', message: '' }).success).toBe(false);
  });
});

describe('a round timeline mark says what made it (by), whatever the names of the players it names', () => {
  it('a mark sent or stored before `by` was added gets it from its actor, as it was read then', () => {
    const old = [
      { atSeconds: 0, kind: 'phase', text: 'round started: A worker node dies', actor: 'instructor' },
      { atSeconds: 20, kind: 'fault', text: 'the kubelet on node-2 is stopped', actor: 'scenario' },
      { atSeconds: 35, kind: 'step', text: 'node/node-4 created', actor: 'instructor' },
      { atSeconds: 61.2, kind: 'fault', text: 'node-2 Ready: Unknown', actor: 'bot (controller-manager)' },
      { atSeconds: 70, kind: 'fault', text: 'web-1: CrashLoopBackOff (back-off restarting failed container web)' },
      { atSeconds: 80, kind: 'refusal', text: 'refused: bind web-2 (Conflict) …', actor: 'Kim' },
      { atSeconds: 90, kind: 'goal', text: 'goal reached: node-2 is NotReady', actor: 'nobody' },
      { atSeconds: 95, kind: 'goal', text: 'goal no longer met: three pods Ready' },
      { atSeconds: 99, kind: 'phase', text: 'round won: every goal met' },
    ];
    expect(old.map((m) => roundTimelineMarkSchema.parse(m))).toEqual([
      { atSeconds: 0, kind: 'phase', text: 'round started: A worker node dies', by: 'instructor' },
      { atSeconds: 20, kind: 'fault', text: 'the kubelet on node-2 is stopped', by: 'scenario' },
      { atSeconds: 35, kind: 'step', text: 'node/node-4 created', by: 'instructor' },
      { atSeconds: 61.2, kind: 'fault', text: 'node-2 Ready: Unknown', by: 'cluster', actor: 'bot (controller-manager)' },
      { atSeconds: 70, kind: 'fault', text: 'web-1: CrashLoopBackOff (back-off restarting failed container web)', by: 'cluster' },
      { atSeconds: 80, kind: 'refusal', text: 'refused: bind web-2 (Conflict) …', by: 'cluster', actor: 'Kim' },
      { atSeconds: 90, kind: 'goal', text: 'goal reached: node-2 is NotReady', by: 'cluster', actor: 'nobody' },
      { atSeconds: 95, kind: 'goal', text: 'goal no longer met: three pods Ready', by: 'round' },
      { atSeconds: 99, kind: 'phase', text: 'round won: every goal met', by: 'round' },
    ]);
  });

  it('a student named "scenario" or "instructor" is a player: the moment their component wrote is no fault made', () => {
    const moment = roundTimelineMarkSchema.parse({ atSeconds: 61.2, kind: 'fault', text: 'node-2 Ready: Unknown', by: 'cluster', actor: 'scenario' });
    expect(moment).toEqual({ atSeconds: 61.2, kind: 'fault', text: 'node-2 Ready: Unknown', by: 'cluster', actor: 'scenario' });
    expect(isFaultMade(moment)).toBe(false);
    expect(isFaultMade({ kind: 'fault', by: 'cluster' })).toBe(false);
    expect(isFaultMade({ kind: 'fault', by: 'scenario' })).toBe(true);
    expect(isFaultMade({ kind: 'fault', by: 'instructor' })).toBe(true);
    expect(isFaultMade({ kind: 'step', by: 'scenario' })).toBe(false);
    expect(roundTimelineMarkSchema.safeParse({ atSeconds: 1, kind: 'fault', text: 'x', by: 'Kim' }).success).toBe(false);
  });
});
