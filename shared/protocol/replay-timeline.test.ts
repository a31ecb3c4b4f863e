import { describe, expect, it } from 'vitest';
import { makeNode } from '../model';
import type { ApiRequestEntry } from './events';
import { TimelineBuilder, type LogEntry } from './replay';

/** A log as a scenario round leaves it: the cluster replaced by the scenario, its steps, a fault. */
describe("a replay's timeline labels each moment for what it is", () => {
  const request = (verb: string, target: string, message: string, extra: Partial<ApiRequestEntry> = {}): LogEntry => ({
    t: 'request',
    resourceVersion: '9',
    actor: 'instructor',
    simTime: 2000,
    wallTime: 0,
    entry: { id: verb + target, wallTime: 0, simTime: 2000, actor: 'instructor', actorName: 'Ada', role: null, verb, target, outcome: 'accepted', message, ...extra },
  });
  const node = (type: 'ADDED' | 'DELETED', actor: string, rv: string): LogEntry => ({ t: 'change', resourceVersion: rv, type, object: makeNode('node-1'), actor, simTime: 1000, wallTime: 0 });

  it("a scenario's setup is the round's (no node \"deleted\" or \"Ready\" fault), its traffic and new node are steps, a node stopped is a fault", () => {
    const timeline = new TimelineBuilder();
    const entries: LogEntry[] = [
      node('ADDED', 'system:bootstrap', '1'),
      // runScenario replaces the cluster: node-1 goes and comes back Ready.
      node('DELETED', 'system:scenario', '2'),
      node('ADDED', 'system:scenario', '3'),
      request('runScenario', 'scenarios/node-dies', 'scenario "A worker node dies" is ready: the class reads the briefing, then start the round'),
      request('fault', 'services/web', 'clients send 1 request/s to service/web', { breaks: false }),
      request('fault', 'nodes', 'node/node-4 created: its kubelet, container runtime and kube-proxy are new roles', { breaks: false }),
      request('fault', 'nodes/node-2', 'the kubelet on node-2 is stopped', { breaks: true }),
      // An instructor deleting a node by hand is news.
      node('DELETED', 'instructor', '4'),
    ];
    entries.forEach((e, i) => timeline.add(e, i));
    expect(timeline.markers.map((m) => [m.category, m.label])).toEqual([
      ['round', 'scenario "A worker node dies" is ready: the class reads the briefing, then start the round'],
      ['step', 'clients send 1 request/s to service/web'],
      ['step', 'node/node-4 created: its kubelet, container runtime and kube-proxy are new roles'],
      ['fault', 'the kubelet on node-2 is stopped'],
      ['fault', 'node-1 deleted'],
    ]);
  });

  it('a fault request of a log recorded before faults said whether they break is a fault, as it was', () => {
    const timeline = new TimelineBuilder();
    timeline.add(request('fault', 'services/web', 'clients send 1 request/s to service/web'), 0);
    expect(timeline.markers.map((m) => m.category)).toEqual(['fault']);
  });

  it('a refused move is marked in the words of its button, with who sent it and why not (it read "ada bind pods/web-1: Forbidden")', () => {
    const timeline = new TimelineBuilder();
    const refused = { outcome: 'refused', code: 'Forbidden', actor: 'student:m-ada', actorName: 'ada' } as const;
    timeline.add(request('bind', 'pods/web-1', 'kubelet:node-1 may not bind', { ...refused, role: 'kubelet:node-1' }), 0);
    timeline.add(request('syncProxyRules', 'services/web', 'nothing to sync', { ...refused, code: 'Conflict', role: 'kube-proxy:node-2' }), 1);
    timeline.add(request('fault', 'nodes/node-9', 'node "node-9" not found', { ...refused, code: 'NotFound', actorName: 'Ada' }), 2);
    expect(timeline.markers.map((m) => [m.category, m.label])).toEqual([
      ['refusal', '"Bind web-1" by ada: Forbidden'],
      ['refusal', '"Sync web on node-2" by ada: Conflict'],
      ['refusal', '"fault nodes/node-9" by Ada: NotFound'],
    ]);
  });
});
