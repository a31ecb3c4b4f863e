import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { makePod, objectKey, type Pod } from '@shared/model';
import { ClusterState, oldestFirst } from './state';

/** One watch event on a pod: created (bound or not), updated (bound elsewhere, its status changed), or deleted. */
const event = fc.record({
  type: fc.constantFrom('ADDED', 'MODIFIED', 'MODIFIED', 'DELETED'),
  name: fc.constantFrom('a', 'b', 'c', 'web-1', 'web-10', 'web-2'),
  namespace: fc.constantFrom('default', 'kube-system'),
  node: fc.constantFrom(undefined, 'node-1', 'node-2'),
  // Pods created within the same second are told apart by their key.
  created: fc.constantFrom('2026-11-25T10:00:00Z', '2026-11-25T10:00:01Z', '2026-11-25T10:00:02Z'),
  phase: fc.constantFrom('Pending', 'Running'),
});

function podOf(e: typeof event extends fc.Arbitrary<infer T> ? T : never, previous: Pod | undefined): Pod {
  const pod = makePod(e.name, { namespace: e.namespace, ...(e.node ? { nodeName: e.node } : {}) });
  // The API server keeps creationTimestamp as created: an update carries the stored one.
  const created = e.type === 'MODIFIED' && previous ? previous.metadata.creationTimestamp : e.created;
  return { ...pod, metadata: { ...pod.metadata, uid: `${e.namespace}/${e.name}`, ...(created === undefined ? {} : { creationTimestamp: created }) }, status: { phase: e.phase } };
}

describe('the pods on a node in the kubelet order', () => {
  test('[property] after any pods come, change, move and go, each node\'s pods oldest first are its pods sorted again, the same list while none of them changed', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), (events) => {
        const state = new ClusterState();
        const lists = new Map<string, readonly Pod[]>();
        for (const e of events) {
          const previous = state.pod(`${e.namespace}/${e.name}`);
          if (e.type === 'DELETED') {
            if (previous) state.apply('DELETED', previous);
          } else state.apply(previous ? 'MODIFIED' : 'ADDED', podOf(e, previous));
          const touched = new Set([previous?.spec.nodeName, e.type === 'DELETED' ? undefined : e.node]);
          for (const node of ['node-1', 'node-2']) {
            // None of the node's pods changed: the very same list, so a kubelet can tell.
            if (!touched.has(node) && lists.has(node)) expect(state.podsOnOldestFirst(node)).toBe(lists.get(node));
            lists.set(node, state.podsOnOldestFirst(node));
            expect(state.podsOnOldestFirst(node).map(objectKey)).toEqual(state.podsOn(node).sort(oldestFirst).map(objectKey));
            // The very objects the state holds now, not those it held when the order was worked out.
            for (const pod of state.podsOnOldestFirst(node)) expect(pod).toBe(state.pod(objectKey(pod)));
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  test('a pod bound later but created earlier comes first; one created in the same second comes by its key', () => {
    const state = new ClusterState();
    const at = (name: string, created: string, nodeName?: string): Pod => {
      const pod = makePod(name, nodeName ? { nodeName } : {});
      return { ...pod, metadata: { ...pod.metadata, uid: name, creationTimestamp: created } };
    };
    state.apply('ADDED', at('web-b', '2026-11-25T10:00:05Z', 'node-1'));
    state.apply('ADDED', at('web-a', '2026-11-25T10:00:05Z', 'node-1'));
    state.apply('ADDED', at('old', '2026-11-25T10:00:00Z'));
    expect(state.podsOnOldestFirst('node-1').map((p) => p.metadata.name)).toEqual(['web-a', 'web-b']);
    state.apply('MODIFIED', at('old', '2026-11-25T10:00:00Z', 'node-1'));
    expect(state.podsOnOldestFirst('node-1').map((p) => p.metadata.name)).toEqual(['old', 'web-a', 'web-b']);
    state.apply('DELETED', at('web-a', '2026-11-25T10:00:05Z', 'node-1'));
    expect(state.podsOnOldestFirst('node-1').map((p) => p.metadata.name)).toEqual(['old', 'web-b']);
  });
});
