import { describe, expect, it } from 'vitest';
import type { RoundTimelineMark } from '@shared/protocol';
import { recoveryLines, unplayedStepText } from './recovery-text';

const fault = (atSeconds: number, text: string): RoundTimelineMark => ({ atSeconds, kind: 'fault', text, by: 'instructor' });
/** A moment a fault brought about, written by a player's component. */
const moment = (atSeconds: number, text: string, actor: string): RoundTimelineMark => ({ atSeconds, kind: 'fault', text, by: 'cluster', actor });

describe('recoveryLines', () => {
  it('says when each fault came and how long every goal took to be met again, whatever the fault', () => {
    const timeline: RoundTimelineMark[] = [
      { atSeconds: 0, kind: 'phase', text: 'round started: A worker node dies', by: 'instructor' },
      fault(70, 'the kubelet on node-2 is stopped'),
      fault(200, 'kube-proxy on node-1 is stopped: requests from node-1 follow its last rules until it syncs again'),
      fault(250, 'node/node-3 deleted'),
    ];
    const recoveries = [
      { fault: 'the kubelet on node-2 is stopped', seconds: 120, again: true },
      { fault: 'kube-proxy on node-1 is stopped: requests from node-1 follow its last rules until it syncs again', seconds: 12.5, again: true },
      { fault: 'node/node-3 deleted', seconds: null, again: true },
    ];
    expect(recoveryLines({ timeline, debrief: { points: [], recoveries } })).toEqual([
      'At 1:10, the kubelet on node-2 is stopped. Every goal was met again 2:00 later.',
      'At 3:20, kube-proxy on node-1 is stopped: requests from node-1 follow its last rules until it syncs again. Every goal was met again 0:12 later.',
      'At 4:10, node/node-3 deleted. The goals were not all met again before the round ended.',
    ]);
  });

  it('dates each fault made, past the moments it brought about, whoever wrote them (a student named "scenario" too)', () => {
    const timeline: RoundTimelineMark[] = [
      { ...fault(70, 'the kubelet on node-2 is stopped'), by: 'scenario' },
      moment(112, 'node-2 Ready: Unknown', 'scenario'),
      moment(145, 'web-1 evicted from node-2: Terminating', 'bot (controller-manager)'),
      fault(200, 'etcd is read-only'),
    ];
    const recoveries = [
      { fault: 'the kubelet on node-2 is stopped', seconds: 120, again: true },
      { fault: 'etcd is read-only', seconds: 30, again: true },
    ];
    expect(recoveryLines({ timeline, debrief: { points: [], recoveries } })).toEqual([
      'At 1:10, the kubelet on node-2 is stopped. Every goal was met again 2:00 later.',
      'At 3:20, etcd is read-only. Every goal was met again 0:30 later.',
    ]);
  });

  it('says "met", not "met again", where a goal had not been met before the fault ("etcd is the memory": read-only at 0:01, before any pod ran)', () => {
    const timeline: RoundTimelineMark[] = [{ ...fault(1, 'etcd is read-only'), by: 'scenario' }, { ...fault(31, 'etcd takes writes again'), by: 'scenario' }];
    const recoveries = [
      { fault: 'etcd is read-only', seconds: 63, again: false },
      { fault: 'etcd takes writes again', seconds: 33, again: false },
    ];
    expect(recoveryLines({ timeline, debrief: { points: [], recoveries } })).toEqual([
      'At 0:01, etcd is read-only. Every goal was met 1:03 later.',
      'At 0:31, etcd takes writes again. Every goal was met 0:33 later.',
    ]);
    expect(recoveryLines({ timeline, debrief: { points: [], recoveries: [{ fault: 'etcd is read-only', seconds: null, again: false }] } })).toEqual(['At 0:01, etcd is read-only. The goals were not all met before the round ended.']);
  });

  it('still names a fault whose mark it cannot find (a view stored before it said "again": "met", true either way)', () => {
    expect(recoveryLines({ timeline: [], debrief: { points: [], recoveries: [{ fault: 'etcd is read-only.', seconds: 5 }] } })).toEqual(['Fault: etcd is read-only. Every goal was met 0:05 later.']);
  });

  it('has no line before the round ends', () => {
    expect(recoveryLines({ timeline: [fault(3, 'the kubelet on node-1 is stopped')] })).toEqual([]);
  });
});

describe('unplayedStepText', () => {
  /** node-dies' goals as a round lost before node-2 went down shows them. */
  const DRAINED = "no pod on node-2 but Terminating ones: its pod is evicted after its tolerationSeconds (only node-2's kubelet could confirm the deletion)";
  const notReady = { id: 'node-not-ready', text: 'node/node-2 ready == 0', about: 'the control plane noticed node-2 is gone (Ready is no longer True)', met: false };
  const drained = { id: 'node-drained', text: 'node/node-2 pods == 0', about: DRAINED, met: false };
  const ready = { id: 'replicas-ready', text: 'deployment/web readyReplicas == 3', about: 'three pods Ready again, on the nodes that are alive', met: false, waitsFor: DRAINED };
  const down = "node-2's machine goes down";

  it('says time ran out before the step the goals waited for, so the points tell what the round was to show', () => {
    expect(unplayedStepText({ phase: 'lost', goals: [{ ...notReady, waitsFor: down }, { ...drained, waitsFor: down }, ready] })).toBe(
      "Time ran out before node-2's machine goes down: the points below tell what this round was to show from then on.",
    );
  });

  it('says nothing of a round won, or lost after its step (node-2 went down, its pod was never evicted)', () => {
    expect(unplayedStepText({ phase: 'won', goals: [{ ...notReady, met: true }, { ...drained, met: true }, { ...ready, met: true }] })).toBeNull();
    // Three pods Ready again still waits, on a goal: no step is left unplayed.
    expect(unplayedStepText({ phase: 'lost', goals: [{ ...notReady, met: true }, drained, ready] })).toBeNull();
  });
});
