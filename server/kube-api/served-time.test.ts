import { describe, expect, it } from 'vitest';
import { fromRFC3339, makePod, toMicroTime, toRFC3339 } from '@shared/model';
import { servedClock } from './served-time';
import { ageSince } from './age';

const WALL = Date.parse('2026-12-01T10:00:00.400Z');
const SIM = Date.parse('2026-12-01T09:54:00.000Z');
/** The lobby and a pause kept the simulated clock 6 minutes behind real time. */
const behind = { simAtWall: SIM, wall: WALL - 1000, timeScale: 1, paused: true };
/** Ten real seconds at 10× put it 90 s ahead. */
const ahead = { simAtWall: WALL - 10_000, wall: WALL - 10_000, timeScale: 10, paused: false };

const pod = {
  ...makePod('web-1'),
  metadata: { name: 'web-1', namespace: 'default', creationTimestamp: toRFC3339(SIM - 52_000), labels: { creationTimestamp: '2026-12-01T09:00:00Z' }, annotations: { startTime: '2026-12-01T09:00:00Z' } },
  status: { phase: 'Running' as const, startTime: toRFC3339(SIM - 50_000), conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: toRFC3339(SIM - 40_000) }] },
};
const event = { kind: 'Event', metadata: { name: 'web-1.1' }, eventTime: toMicroTime(SIM - 51_250), firstTimestamp: toRFC3339(SIM - 51_000), series: { count: 2, lastObservedTime: toMicroTime(SIM - 1_500) } };

describe('times served to kubectl: an age kubectl computes on the real clock is the simulated age `get` prints', () => {
  it('a clock behind real time: each time moves by the same whole seconds, and the real-clock age is the simulated one', () => {
    const clock = servedClock(behind, WALL);
    const served = clock.serve(pod);
    // 52 s old on the simulated clock, 52 s old to kubectl's real clock (within the second rounded off).
    expect(ageSince(pod.metadata.creationTimestamp, SIM)).toBe('52s');
    expect(ageSince(served.metadata.creationTimestamp, clock.now)).toBe('52s');
    expect(ageSince(served.metadata.creationTimestamp, WALL)).toBe('52s');
    expect(served.status.startTime).toBe('2026-12-01T09:59:10Z');
    expect(served.status.conditions[0]).toEqual({ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-12-01T09:59:20Z' });
    // Labels and annotations are the user's strings, whatever their names.
    expect([served.metadata.labels, served.metadata.annotations]).toEqual([pod.metadata.labels, pod.metadata.annotations]);
    expect(clock.serve(event)).toEqual({ ...event, eventTime: '2026-12-01T09:59:08.750000Z', firstTimestamp: '2026-12-01T09:59:09Z', series: { count: 2, lastObservedTime: '2026-12-01T09:59:58.500000Z' } });
    expect(pod.metadata.creationTimestamp).toBe(toRFC3339(SIM - 52_000)); // a copy: the cache's object is untouched
  });

  it('a clock ahead of real time (10×): no time is later than real now, so kubectl never prints <invalid>', () => {
    const clock = servedClock(ahead, WALL);
    const sim = WALL + 90_000; // the simulated now
    const made = { ...pod, metadata: { ...pod.metadata, creationTimestamp: toRFC3339(sim - 1) } };
    const served = clock.serve(made);
    expect(fromRFC3339(served.metadata.creationTimestamp)).toBeLessThanOrEqual(WALL);
    expect(ageSince(served.metadata.creationTimestamp, WALL)).toBe('0s');
    expect(ageSince(clock.serve({ ...event, eventTime: toMicroTime(sim) }).eventTime, WALL)).toBe('0s');
  });

  it('times kubectl sends back are moved onto the simulated clock again', () => {
    const clock = servedClock(behind, WALL);
    expect(clock.receive(clock.serve(pod))).toEqual(pod);
    expect(servedClock(undefined, WALL).serve(pod)).toBe(pod);
  });

  it("a JSON patch's time value is moved back, a taint's timeAdded is served moved", () => {
    const clock = servedClock(behind, WALL);
    const patch = [
      { op: 'replace', path: '/status/conditions/0/lastHeartbeatTime', value: '2026-12-01T09:59:20Z' },
      { op: 'add', path: '/metadata/annotations/lastHeartbeatTime', value: '2026-12-01T09:59:20Z' },
      { op: 'replace', path: '/status/conditions/0/lastProbeTime', value: null },
    ];
    expect(clock.receive(patch)).toEqual([{ ...patch[0], value: '2026-12-01T09:53:20Z' }, patch[1], patch[2]]);
    const taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: toRFC3339(SIM - 30_000) };
    expect(clock.serve({ spec: { taints: [taint] } })).toEqual({ spec: { taints: [{ ...taint, timeAdded: '2026-12-01T09:59:30Z' }] } });
  });

  it('a time the shift would carry outside years 0000-9999 is left as it is, not a failed read', () => {
    const early = { ...pod, status: { ...pod.status, startTime: '0000-01-01T00:00:00Z' } };
    expect(servedClock(ahead, WALL).serve(early).status.startTime).toBe('0000-01-01T00:00:00Z');
    const late = { ...pod, status: { ...pod.status, startTime: '9999-12-31T23:59:50Z' } };
    expect(servedClock(behind, WALL).serve(late).status.startTime).toBe('9999-12-31T23:59:50Z');
    expect(servedClock(behind, WALL).receive(early).status.startTime).toBe('0000-01-01T00:00:00Z');
  });
});
