/**
 * Independent writes of several actors in one script (ObjectStore.applyEach: every due node's Lease
 * renewal of a kubelet heartbeat, issue 14): each its own resourceVersion, log entry and watch
 * event by its own actor, the versions taken by one INCRBY; one whose object moved is decided again
 * on the stored object (its precondition then refuses it, as kube-apiserver answers 409), while the
 * others commit.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeLease, NODE_LEASE_NAMESPACE, toMicroTime, type Lease, type Persisted } from '@shared/model';
import { update } from '@shared/sim';
import { monitorKey } from '../testing/key-monitor';
import { isApiError } from './api-error';
import { as, collector, newClassroom, openStore, SIM_START, type OpenStore } from './testing/fixture';

let own: OpenStore;
/** Another process's store: it watches, and writes what this one's cache has not heard of. */
let other: OpenStore;
beforeAll(async () => {
  [own, other] = await Promise.all([openStore(), openStore()]);
});
afterAll(() => Promise.all([own.close(), other.close()]));

const NODES = ['node-1', 'node-2', 'node-3'];
const RENEWED = SIM_START + 10_000;
const renewal = (lease: Persisted<Lease>, withPrecondition = true) => {
  const request = update(lease, { ...lease, spec: { ...lease.spec, renewTime: toMicroTime(RENEWED) } }, 'renews its Lease (heartbeat)');
  return { request: withPrecondition ? request : { ...request, resourceVersion: undefined }, actor: `system:node:${lease.metadata.name}` };
};

describe("several actors' writes in one script", () => {
  it("three nodes' Lease renewals: one INCRBY, each its own version, log entry and watch event by its own kubelet; a Lease moved by another writer is decided again on it", async () => {
    const classroom = newClassroom();
    const leases: Persisted<Lease>[] = [];
    for (const node of NODES) leases.push(await own.store.create(classroom, makeLease(node, NODE_LEASE_NAMESPACE, node, 40, SIM_START), as(`system:node:${node}`)));
    // Another process writes node-2's and node-3's Leases: this store's cached copies are behind.
    const annotate = { metadata: { annotations: { 'test.clusterplay.dev/moved': 'true' } } };
    for (const node of ['node-2', 'node-3']) await other.store.patch(classroom, { kind: 'Lease', name: node, namespace: NODE_LEASE_NAMESPACE }, annotate, as('system:test'));
    const from = Number(await other.store.resourceVersion(classroom));
    const heard = collector();
    const stop = await other.store.watch(classroom, String(from), heard.listener);
    const monitor = await monitorKey(inject('redisUrl'), own.store.keys(classroom).rv);
    try {
      const [one, two, three] = leases as [Persisted<Lease>, Persisted<Lease>, Persisted<Lease>];
      // node-2's renewal names the version it read (a Conflict now); node-3's names none (applies to the latest).
      const results = await own.store.applyEach(classroom, [renewal(one), renewal(two), renewal(three, false)], { simTime: RENEWED });
      await monitor.sync();
      // One script wrote both: two versions taken by one INCRBY (the scripts that met a moved Lease wrote nothing).
      expect([monitor.calls('INCRBY'), monitor.calls('INCR')]).toEqual([1, 0]);

      expect(results.map((r) => (isApiError(r) ? [r.reason, r.message] : [r.metadata.name, r.metadata.resourceVersion, (r as Lease).spec.renewTime]))).toEqual([
        ['node-1', String(from + 1), toMicroTime(RENEWED)],
        ['Conflict', 'Operation cannot be fulfilled on leases.coordination.k8s.io "node-2": the object has been modified; please apply your changes to the latest version and try again'],
        ['node-3', String(from + 2), toMicroTime(RENEWED)],
      ]);
      // node-3's first script met the other writer's version and wrote nothing; decided again on it, it is renewed. node-2 is not.
      const renewTime = async (node: string) => (await other.store.get(classroom, { kind: 'Lease', name: node, namespace: NODE_LEASE_NAMESPACE })).spec.renewTime;
      expect([await renewTime('node-2'), await renewTime('node-3')]).toEqual([toMicroTime(SIM_START), toMicroTime(RENEWED)]);

      const events = await heard.until(2);
      expect(events.map((e) => [e.type, e.object.metadata.name, e.resourceVersion])).toEqual([
        ['MODIFIED', 'node-1', String(from + 1)],
        ['MODIFIED', 'node-3', String(from + 2)],
      ]);
      const log = await own.store.readLog(classroom, String(from), 10);
      expect(log.map((e) => [e.resourceVersion, e.object.metadata.name, e.actor, e.simTime])).toEqual([
        [String(from + 1), 'node-1', 'system:node:node-1', RENEWED],
        [String(from + 2), 'node-3', 'system:node:node-3', RENEWED],
      ]);
    } finally {
      stop();
      await monitor.close();
    }
  });

  it('more moved Leases than a write has retries: every moved one is read again at once, and every untouched one is renewed', { timeout: 60_000 }, async () => {
    const classroom = newClassroom();
    const nodes = Array.from({ length: 110 }, (_, i) => `node-${i}`);
    const leases: Persisted<Lease>[] = [];
    for (const node of nodes) leases.push(await own.store.create(classroom, makeLease(node, NODE_LEASE_NAMESPACE, node, 40, SIM_START), as(`system:node:${node}`)));
    // Another process moves 105 of them: this store's copies of those are behind.
    const annotate = { metadata: { annotations: { 'test.clusterplay.dev/moved': 'true' } } };
    for (const node of nodes.slice(0, 105)) await other.store.patch(classroom, { kind: 'Lease', name: node, namespace: NODE_LEASE_NAMESPACE }, annotate, as('system:test'));
    const monitor = await monitorKey(inject('redisUrl'), own.store.keys(classroom).rv);
    try {
      // Half of the moved ones name the version they read (a Conflict now), half name none (renewed on the latest).
      const writes = leases.map((lease, i) => renewal(lease, i >= 105 || i % 2 === 0));
      const results = await own.store.applyEach(classroom, writes, { simTime: RENEWED });
      await monitor.sync();
      // Two scripts: the first found the 105 moved ones and wrote nothing, the second wrote the rest.
      expect(monitor.calls('INCRBY')).toBe(1);
      const outcome = results.map((r, i) => (isApiError(r) ? `${i} ${r.reason}` : `${i} renewed`));
      expect(outcome).toEqual(nodes.map((_, i) => (i < 105 && i % 2 === 0 ? `${i} Conflict` : `${i} renewed`)));
    } finally {
      await monitor.close();
    }
  });

  it('refuses, writing nothing, two requests on one object or a write that takes more than one step', async () => {
    const classroom = newClassroom();
    const lease = await own.store.create(classroom, makeLease('node-1', NODE_LEASE_NAMESPACE, 'node-1', 40, SIM_START), as('system:node:node-1'));
    const rv = await own.store.resourceVersion(classroom);
    await expect(own.store.applyEach(classroom, [renewal(lease), renewal(lease)], { simTime: RENEWED })).rejects.toThrow('one an object');
    const deletion = { request: { verb: 'delete' as const, kind: 'Lease' as const, name: 'node-1', namespace: NODE_LEASE_NAMESPACE }, actor: 'system:node:node-1' };
    await expect(own.store.applyEach(classroom, [deletion], { simTime: RENEWED })).rejects.toThrow('no delete');
    expect(await own.store.resourceVersion(classroom)).toBe(rv);
  });
});
