import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeContainerRuntime, makePod, toRFC3339, type Pod } from '@shared/model';
import { bindRequest, update, type ApiRequest } from '@shared/sim';
import { isApiError } from '../store';
import { as, collector, newClassroom, openStore, SIM_START, type OpenStore } from '../store/testing/fixture';
import { writeRequest } from './write-request';

let stores: OpenStore[];
beforeAll(async () => {
  // Separate store instances, each with its own connection, as separate server processes.
  stores = await Promise.all(Array.from({ length: 5 }, () => openStore()));
});
afterAll(() => Promise.all(stores.map((s) => s.close())));

const first = (): OpenStore => stores[0] as OpenStore;

/** Watches the classroom from `rv` while `write` runs, then reads the log too: what every watcher sees. */
async function watched(classroom: string, rv: string, write: () => Promise<unknown>) {
  const seen = collector();
  const stop = await first().store.watch(classroom, rv, seen.listener);
  try {
    await write();
    const log = await first().store.readLog(classroom, rv, 100);
    await seen.until(log.length);
    return { events: seen.events, log };
  } finally {
    stop();
  }
}

describe('each API request is one stored version and one log entry', () => {
  it('[pods/binding] a bind is one watch event carrying both spec.nodeName and PodScheduled=True', async () => {
    const classroom = newClassroom();
    const pod = await first().store.create(classroom, makePod('web-1'), as('instructor'));
    const { events, log } = await watched(classroom, pod.metadata.resourceVersion, () =>
      writeRequest(first().store, classroom, bindRequest(pod, 'node-2', 'the scheduler binds'), as('bot:scheduler', SIM_START + 1000)),
    );
    expect(log).toHaveLength(1);
    expect(events.map((e) => [e.type, e.resourceVersion])).toEqual([['MODIFIED', log[0]?.resourceVersion]]);
    const bound = events[0]?.object as Pod;
    expect(bound.spec.nodeName).toBe('node-2');
    expect(bound.status?.conditions).toContainEqual({ type: 'PodScheduled', status: 'True', lastTransitionTime: toRFC3339(SIM_START + 1000) });
  });

  it('a ContainerRuntime update (the kubelet or the runtime writes it whole) is one watch event', async () => {
    const classroom = newClassroom();
    const runtime = await first().store.create(classroom, makeContainerRuntime('node-1'), as('instructor'));
    const next = { ...runtime, status: { ...runtime.status, images: [{ name: 'nginx:1.27', pulledAt: toRFC3339(SIM_START) }], callSeq: 3 } };
    const { events, log } = await watched(classroom, runtime.metadata.resourceVersion, () =>
      writeRequest(first().store, classroom, update(runtime, next, 'pulled nginx'), as('bot:container-runtime:node-1')),
    );
    expect(log).toHaveLength(1);
    expect(events).toHaveLength(1);
    expect(events[0]?.object).toMatchObject({ status: next.status, metadata: { resourceVersion: log[0]?.resourceVersion } });
  });

  it('[pods/binding] 20 concurrent binds of one pod from 5 store instances: exactly 1 is accepted, 19 get 409 Conflict, 1 version is written', async () => {
    const classroom = newClassroom();
    const pod = await first().store.create(classroom, makePod('web-1'), as('instructor'));
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => {
        const { store } = stores[i % stores.length] as OpenStore;
        // Half carry the version the scheduler saw, half none: both ways only one bind can win.
        const req: ApiRequest = i % 2 === 0 ? bindRequest(pod, `node-${i}`, 'race') : { verb: 'bind', kind: 'Pod', namespace: 'default', name: 'web-1', node: `node-${i}`, reason: 'race' };
        return writeRequest(store, classroom, req, as(`student:${i}`));
      }),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(lost).toHaveLength(19);
    for (const error of lost) expect(isApiError(error, 'Conflict')).toBe(true);
    expect(await first().store.readLog(classroom, pod.metadata.resourceVersion, 100)).toHaveLength(1);
  });
});
