import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeContainerRuntime, makeNode, makePod, type KubeObject } from '../model';
import type { WatchEvent, WatchEventType } from './events';
import { allObjects, applySnapshot, applyWatchEvents, EMPTY_CLUSTER_STATE, getObject, listObjects, type ClusterState } from './watch-reducer';

function event(type: WatchEventType, object: KubeObject, resourceVersion: number): WatchEvent {
  return { type, object, resourceVersion: String(resourceVersion), actor: 'bot:scheduler', simTime: 0, wallTime: 0 };
}

const node1 = makeNode('node-1');
const web1 = makePod('web-1');
const web1Bound = makePod('web-1', { nodeName: 'node-1' });
const kubeSystemPod = makePod('web-1', { namespace: 'kube-system' });

describe('watch reducer: a watcher rebuilds the store from a snapshot and the watch events after it', () => {
  it('a snapshot keys objects by kind and namespace/name (cluster-scoped kinds by name) and keeps its resourceVersion', () => {
    const state = applySnapshot({ resourceVersion: '12', objects: [node1, web1, kubeSystemPod] });
    expect(state.resourceVersion).toBe('12');
    expect([...(state.kinds.get('Node')?.keys() ?? [])]).toEqual(['node-1']);
    expect([...(state.kinds.get('Pod')?.keys() ?? [])].sort()).toEqual(['default/web-1', 'kube-system/web-1']);
    expect(getObject(state, 'Pod', 'web-1', 'kube-system')).toBe(kubeSystemPod);
    expect(getObject(state, 'Pod', 'web-1')).toBe(web1);
  });

  it('ADDED, MODIFIED and DELETED apply in order and the resourceVersion follows the last event', () => {
    const start = applySnapshot({ resourceVersion: '3', objects: [node1] });
    const next = applyWatchEvents(start, [event('ADDED', web1, 4), event('MODIFIED', web1Bound, 5), event('DELETED', node1, 6)]);
    expect(next.resourceVersion).toBe('6');
    expect(listObjects(next, 'Pod')).toEqual([web1Bound]);
    expect(listObjects(next, 'Node')).toEqual([]);
  });

  it('events at or below the current resourceVersion were already seen and are ignored (resync overlapping a live batch)', () => {
    const start = applySnapshot({ resourceVersion: '10', objects: [web1Bound] });
    const same = applyWatchEvents(start, [event('MODIFIED', web1, 9), event('DELETED', web1Bound, 10)]);
    expect(same).toBe(start);
    const later = applyWatchEvents(start, [event('DELETED', web1Bound, 10), event('MODIFIED', web1, 11), event('DELETED', web1, 11)]);
    expect(later.resourceVersion).toBe('11');
    expect(listObjects(later, 'Pod')).toEqual([web1]);
  });

  it('resourceVersions compare as integers, not as strings ("10" is after "9")', () => {
    const start = applySnapshot({ resourceVersion: '9', objects: [] });
    expect(applyWatchEvents(start, [event('ADDED', web1, 10)]).resourceVersion).toBe('10');
  });

  it('a relist replaces everything: objects deleted while disconnected disappear', () => {
    const before = applyWatchEvents(EMPTY_CLUSTER_STATE, [event('ADDED', node1, 1), event('ADDED', web1, 2)]);
    const after = applySnapshot({ resourceVersion: '40', objects: [node1] });
    expect(listObjects(before, 'Pod')).toHaveLength(1);
    expect(listObjects(after, 'Pod')).toEqual([]);
  });

  it('never mutates the previous state and shares the kinds a batch did not touch', () => {
    const start = applySnapshot({ resourceVersion: '1', objects: [node1, web1] });
    const next = applyWatchEvents(start, [event('MODIFIED', web1Bound, 2)]);
    expect(getObject(start, 'Pod', 'web-1')).toBe(web1);
    expect(next.kinds.get('Node')).toBe(start.kinds.get('Node'));
    expect(next.kinds.get('Pod')).not.toBe(start.kinds.get('Pod'));
  });

  it('keeps node-local kinds (a node\'s ContainerRuntime) beside the API kinds, keyed by node name', () => {
    const runtime = makeContainerRuntime('node-1');
    const state = applyWatchEvents(EMPTY_CLUSTER_STATE, [event('ADDED', runtime, 1)]);
    expect(listObjects(state, 'ContainerRuntime')).toEqual([runtime]);
    expect(getObject(state, 'ContainerRuntime', 'node-1')).toBe(runtime);
    expect(allObjects(applyWatchEvents(state, [event('ADDED', node1, 2)]))).toEqual([runtime, node1]);
  });

  it('however the log is split into batches, and whatever duplicates a reconnect replays, every watcher ends with the store', () => {
    const names = ['a', 'b', 'c'];
    const step = fc.record({ name: fc.constantFrom(...names), type: fc.constantFrom<WatchEventType>('ADDED', 'MODIFIED', 'DELETED'), node: fc.constantFrom('node-1', 'node-2') });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), fc.array(fc.nat(30)), fc.array(fc.nat(30)), (steps, cuts, replays) => {
        const log = steps.map((s, i) => event(s.type, makePod(s.name, { nodeName: s.node }), i + 1));
        // The store itself: the latest write per key, deletes removing it.
        const store = new Map<string, KubeObject>();
        for (const e of log) {
          if (e.type === 'DELETED') store.delete(`default/${e.object.metadata.name}`);
          else store.set(`default/${e.object.metadata.name}`, e.object);
        }
        // A watcher: batches at arbitrary cuts, each batch possibly preceded by a replay of older events.
        const bounds = [...new Set([0, ...cuts.filter((c) => c < log.length), log.length])].sort((x, y) => x - y);
        let state: ClusterState = EMPTY_CLUSTER_STATE;
        bounds.slice(1).forEach((end, i) => {
          const start = bounds[i] ?? 0;
          const replayFrom = Math.min(start, replays[i] ?? start);
          state = applyWatchEvents(state, log.slice(replayFrom, end));
        });
        expect(new Map(state.kinds.get('Pod') ?? [])).toEqual(store);
        expect(state.resourceVersion).toBe(String(log.length));
      }),
    );
  });
});
