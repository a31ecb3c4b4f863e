/**
 * Watches: `kubectl get pods -w` follows pods while the bots play; a resourceVersion the log no
 * longer holds is answered 410 Expired in the stream; client-node's informer lists, watches, and
 * lists again after a 410. A watch open when the store goes back (a Redis failover lost writes it
 * sent) ends with 410 Expired too.
 */
import { CoreV1Api, KubeConfig, ListWatch, Watch, type V1Pod } from '@kubernetes/client-node';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningServer } from '../app';
import type { Classroom, ClusterClient } from '../cluster/testing/cluster-client';
import { replicaOf } from '../store/testing/replica-copy';
import { waitFor } from '../testing/wait';
import type { Kubectl } from './testing/kubectl';
import { kubectlClassroom, PLAY, type KubectlClassroom } from './testing/kubectl-classroom';

let setup: KubectlClassroom;
let server: RunningServer;
let classroom: Classroom;
let instructor: ClusterClient;
let kubectl: Kubectl;

beforeAll(async () => {
  setup = await kubectlClassroom('kubectl-watch', { body: { nodes: 2 } });
  ({ server, classroom, instructor, kubectl } = setup);
}, 60_000);

afterAll(() => setup?.close());

/** Each pod's STATUS column, in the order kubectl printed them. */
function statusesByPod(output: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  for (const line of output.split('\n').slice(1)) {
    const [name, , status] = line.split(/\s+/);
    if (!name || !status) continue;
    const list = seen.get(name) ?? [];
    if (list.at(-1) !== status) list.push(status);
    seen.set(name, list);
  }
  return seen;
}

describe('watch', () => {
  it('kubectl get pods -w sees each pod go Pending -> ContainerCreating -> Running while the bots play', { timeout: 90_000 }, async () => {
    // -v=6 logs each response as its headers arrive: the watch is open once its 200 is logged.
    const watch = kubectl.start('get', 'pods', '-w', '-v=6');
    try {
      await waitFor(() => /GET \S+\/pods\?resourceVersion=\d+&watch=true 200 OK/.test(watch.err()), { what: 'kubectl to start watching', timeoutMs: 20_000 });
      expect(watch.out()).toBe('');
      for (const action of PLAY) expect(await instructor.instructor(action)).toMatchObject({ ok: true });
      const done = await waitFor(
        () => {
          const pods = statusesByPod(watch.out());
          return pods.size === 3 && [...pods.values()].every((s) => s.at(-1) === 'Running') && pods;
        },
        { what: 'three pods Running in kubectl\'s output', timeoutMs: 60_000, intervalMs: 200 },
      );
      expect(watch.out().split('\n')[0]?.split(/\s+/)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
      for (const statuses of done.values()) expect(statuses).toEqual(['Pending', 'ContainerCreating', 'Running']);
    } finally {
      watch.child.kill();
    }
  });

  it('a watch from a list\'s resourceVersion hears the deletion made since, though the cache no longer holds the object (kubectl delete waits so)', async () => {
    const config = new KubeConfig();
    config.loadFromFile(kubectl.kubeconfig);
    const services = `${config.getCurrentCluster()?.server ?? ''}/api/v1/namespaces/default/services`;
    const one = 'fieldSelector=metadata.name%3Dgone-soon';
    const created = await fetch(services, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'gone-soon' }, spec: { selector: { app: 'gone-soon' }, ports: [{ port: 80 }] } }),
    });
    expect(created.status).toBe(201);
    // kubectl's wait: a list of the one object, then a watch from the list's version; the deletion lands in between.
    const list = (await (await fetch(`${services}?${one}`)).json()) as { metadata: { resourceVersion: string }; items: unknown[] };
    expect(list.items).toHaveLength(1);
    expect((await fetch(`${services}/gone-soon`, { method: 'DELETE' })).status).toBe(200);
    const watch = await fetch(`${services}?watch=true&${one}&resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=2`, { signal: AbortSignal.timeout(10_000) });
    const events = (await watch.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string; object: { metadata: { name: string } } });
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([['DELETED', 'gone-soon']]);
  });

  it('answers a resourceVersion the log no longer holds with 410 Expired in the stream, and client-node\'s informer lists again', { timeout: 60_000 }, async () => {
    const config = new KubeConfig();
    config.loadFromFile(kubectl.kubeconfig);
    const core = config.makeApiClient(CoreV1Api);
    let lists = 0;
    // makeInformer's ListWatch, built here to read the version it holds.
    const informer = new ListWatch<V1Pod>('/api/v1/namespaces/default/pods', new Watch(config), () => (lists++, core.listNamespacedPod({ namespace: 'default' })), false);
    await informer.start();
    await waitFor(() => informer.list('default').length === 3, { what: 'the informer to list three pods' });
    await informer.stop();
    const heldRv = informer.latestResourceVersion();

    // The log is compacted past what the informer saw, as etcd compacts; the bots keep playing meanwhile.
    const store = server.cluster.runtime.store;
    const pod = (await store.list(classroom.id, 'Pod')).items[0];
    for (const seen of ['before-compaction', 'after-compaction']) {
      await store.patch(classroom.id, { kind: 'Pod', name: pod?.metadata.name ?? '' }, { metadata: { labels: { seen } } }, { actor: 'instructor', simTime: 0 });
    }
    const redis = createClient({ url: server.redisUrl });
    await redis.connect();
    const { resourceVersion } = await store.snapshot(classroom.id);
    await redis.xTrim(store.keys(classroom.id).log, 'MINID', `${resourceVersion}-0`);
    await redis.quit();

    // What client-go's reflector receives (kubectl get --raw ignores the server URL's path, so the request is made here).
    const raw = await fetch(`${config.getCurrentCluster()?.server ?? ''}/api/v1/namespaces/default/pods?watch=true&resourceVersion=${heldRv}`, {
      signal: AbortSignal.timeout(10_000),
    });
    expect(raw.status).toBe(200);
    const event = JSON.parse((await raw.text()).trim()) as unknown;
    expect(event).toEqual({
      type: 'ERROR',
      object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Expired', code: 410, message: `too old resource version: ${heldRv} (${Number(resourceVersion) - 1})` },
    });

    await informer.start();
    await waitFor(() => lists === 2 && informer.get(pod?.metadata.name ?? '', 'default')?.metadata?.labels?.['seen'] === 'after-compaction', {
      what: 'the informer to list again and hold the change it missed',
    });
    await informer.stop();
  });

  it('a watch open when the store goes back (a failover lost a write it sent) ends with 410 Expired, and the client lists again', { timeout: 60_000 }, async () => {
    const config = new KubeConfig();
    config.loadFromFile(kubectl.kubeconfig);
    const store = server.cluster.runtime.store;
    const [pod, other] = (await store.list(classroom.id, 'Pod')).items;
    const { resourceVersion } = await store.snapshot(classroom.id);
    const watch = await fetch(`${config.getCurrentCluster()?.server ?? ''}/api/v1/namespaces/default/pods?watch=true&resourceVersion=${resourceVersion}`, { signal: AbortSignal.timeout(30_000) });
    expect(watch.status).toBe(200);
    let received = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of watch.body ?? []) received += decoder.decode(chunk as Uint8Array, { stream: true });
    })();
    const events = () => received.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string; object: { metadata?: { labels?: Record<string, string> }; code?: number; reason?: string } });

    const replica = await replicaOf(server.redisUrl, `${inject('redisKeyPrefix')}-kubectl-watch`, classroom.id);
    // Acknowledged and sent to the watch, then lost with the master.
    await store.patch(classroom.id, { kind: 'Pod', name: pod?.metadata.name ?? '' }, { metadata: { labels: { failover: 'lost' } } }, { actor: 'instructor', simTime: 0 });
    await waitFor(() => events().some((e) => e.object.metadata?.labels?.['failover'] === 'lost'), { what: 'the watch to send the write the failover loses' });
    await replica.promote();
    // The next change takes the lost write's version again.
    await store.patch(classroom.id, { kind: 'Pod', name: other?.metadata.name ?? '' }, { metadata: { labels: { failover: 'after' } } }, { actor: 'instructor', simTime: 0 });

    await reading;
    expect(events().at(-1)).toMatchObject({ type: 'ERROR', object: { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 } });
    const listed = (await config.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'default' })).items;
    expect(listed.find((p) => p.metadata?.name === pod?.metadata.name)?.metadata?.labels?.['failover']).toBeUndefined();
    expect(listed.find((p) => p.metadata?.name === other?.metadata.name)?.metadata?.labels?.['failover']).toBe('after');
  });
});
