import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makePod, type Pod } from '@shared/model';
import type { ApiRequestEntry } from '@shared/protocol';
import { schedulerEvent } from '@shared/sim/scheduler/scheduler';
import { seededRng } from '@shared/sim';
import { monitorKey } from '../testing/key-monitor';
import { as, collector, newClassroom, openStore, SIM_START, type OpenStore } from './testing/fixture';

let open: OpenStore;
beforeAll(async () => {
  open = await openStore();
});
afterAll(() => open.close());

const entry = (verb: string): ApiRequestEntry => ({
  id: `request-${verb}`,
  wallTime: 0,
  simTime: SIM_START,
  actor: 'bot:scheduler',
  actorName: 'bot',
  role: 'scheduler',
  verb,
  target: 'pods/web-1',
  outcome: 'accepted',
  message: 'bound',
});

describe('a change and the Events reporting it, committed by one script', () => {
  it('[pods/binding] a bind and its Scheduled Event: one resourceVersion each, in order, both to watchers, the request entry with the last; the versions taken at once', async () => {
    const { store } = open;
    const classroom = newClassroom();
    const pod = await store.create(classroom, makePod('web-1'), as('bot:controller-manager'));
    const heard = collector();
    const ridden: ApiRequestEntry[] = [];
    const stop = await store.watch(classroom, pod.metadata.resourceVersion, (events, requests) => {
      heard.listener(events);
      ridden.push(...requests);
    });
    const event = schedulerEvent(pod as Pod, 'Normal', 'Scheduled', 'Successfully assigned default/web-1 to node-1', SIM_START, seededRng(1));
    const monitor = await monitorKey(inject('redisUrl'), store.keys(classroom).rv);
    try {
      const request = { entry: entry('bind') };
      const written = await store.applyWithEvents(
        classroom,
        { verb: 'bind', kind: 'Pod', name: 'web-1', namespace: 'default', node: 'node-1' },
        [{ verb: 'create', kind: 'Event', name: event.metadata.name, namespace: 'default', object: event }],
        { ...as('bot:scheduler'), request },
      );
      const rv = Number(pod.metadata.resourceVersion);
      expect(written?.map((o) => [o.kind, o.metadata.resourceVersion])).toEqual([
        ['Pod', String(rv + 1)],
        ['Event', String(rv + 2)],
      ]);
      expect(request).toMatchObject({ committedAt: String(rv + 2) });
      const events = await heard.until(2);
      expect(events.map((e) => [e.type, e.object.kind, e.resourceVersion])).toEqual([
        ['MODIFIED', 'Pod', String(rv + 1)],
        ['ADDED', 'Event', String(rv + 2)],
      ]);
      expect(ridden).toEqual([request.entry]);
      const log = await open.redis.xRange(store.keys(classroom).log, `${rv + 1}-0`, '+');
      expect(log?.map((e) => [e.id, e.message['request'] === undefined ? null : JSON.parse(e.message['request']).verb])).toEqual([
        [`${rv + 1}-0`, null],
        [`${rv + 2}-0`, 'bind'],
      ]);
      expect((await store.get(classroom, { kind: 'Pod', name: 'web-1' })).spec.nodeName).toBe('node-1');
      expect(await store.readRequestLog(classroom, 10)).toEqual([request.entry]);
      await monitor.sync();
      // Both versions taken by one INCRBY: one script, where a write each would INCR twice.
      expect([monitor.calls('INCRBY'), monitor.calls('INCR')]).toEqual([1, 0]);

      // The Event's name is taken now: nothing is written, the caller writes them one by one.
      const again = await store.applyWithEvents(
        classroom,
        { verb: 'updateStatus', kind: 'Pod', name: 'web-1', namespace: 'default', object: { ...written?.[0], status: { phase: 'Pending', reason: 'x' } } as Pod },
        [{ verb: 'create', kind: 'Event', name: event.metadata.name, namespace: 'default', object: event }],
        as('bot:kubelet:node-1'),
      );
      expect(again).toBeNull();
      expect(await store.resourceVersion(classroom)).toBe(String(rv + 2));
    } finally {
      stop();
      await monitor.close();
    }
  });
});
