import { describe, expect, it } from 'vitest';
import { makeNode, makePod } from '@shared/model';
import { ackSchema, snapshotSchema, watchEventsSchema } from './server-messages';

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
