/**
 * kube-proxy on every worker node, through the API server on real Redis: each node's kube-proxy
 * (a bot, or a student for node-1) programs only its node, a request follows the rules of the node
 * it starts on, and a node whose kube-proxy the instructor stopped keeps routing to stale endpoints
 * until it is started and syncs again.
 */
import { describe, expect, test } from 'vitest';
import { isPodReady, makeService, type Pod } from '@shared/model';
import { getObject, listObjects, type ClusterState } from '@shared/protocol/watch-reducer';
import { kubeProxyStoppedMessage } from '@shared/sim';
import { waitFor } from '../testing/wait';
import { assignRoles, classroomWith, type ClusterClient } from './testing/cluster-client';
import { suiteServer, WIDE_SOCKET_BUDGET } from './testing/suite-server';
import { roundDone } from './testing/players';

const suite = suiteServer('kproxy', WIDE_SOCKET_BUDGET);

const connect = (token: string): Promise<ClusterClient> => suite.connect(token);

/** `name ip` of each pod web's rules send requests to on `node`, as every screen sees them. */
const programmed = (state: ClusterState, node: string): string[] =>
  (getObject(state, 'ProxyTable', node)?.status.services.find((s) => s.service === 'default/web')?.endpoints ?? []).map((e) => `${e.pod ?? ''} ${e.ip}`).sort();
const readyPods = (state: ClusterState): string[] =>
  listObjects(state, 'Pod')
    .filter((p: Pod) => p.metadata.labels?.['app'] === 'web' && isPodReady(p) && p.metadata.deletionTimestamp === undefined)
    .map((p) => `${p.metadata.name} ${p.status?.podIP ?? ''}`)
    .sort();

describe('kube-proxy on every worker node, through the API server', () => {
  test('a Service routes ClusterIP traffic from every node through that node’s kube-proxy only to ready endpoints; a stopped kube-proxy keeps routing to stale ones until it syncs again', { timeout: 90_000 }, async () => {
    const classroom = await classroomWith(suite.server.url, ['kim'], { nodes: 2 });
    const instructor = await connect(classroom.instructorToken);
    const kim = await connect(classroom.students.get('kim')?.token ?? '');
    await assignRoles(instructor, classroom, { kim: 'kube-proxy:node-1' });
    for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'start' }] as const) expect(await instructor.instructor(action)).toMatchObject({ ok: true });

    // kim plays node-1's kube-proxy; the bot plays node-2's. kim may act only for node-1.
    expect(await kim.act({ kind: 'syncProxyRules', node: 'node-2', service: 'web' })).toMatchObject({
      ok: false,
      code: 'Forbidden',
      message: 'kube-proxy:node-1 acts only for its own node node-1, not for node-2: each kubelet, container runtime and kube-proxy manages only the node it runs on',
    });
    await waitFor(
      async () => {
        await kim.act({ kind: 'syncProxyRules', node: 'node-1', service: 'web' });
        return roundDone(instructor.state);
      },
      { what: 'web 3/3 Ready and programmed on both nodes', timeoutMs: 60_000, intervalMs: 300 },
    );

    const service = getObject(instructor.state, 'Service', 'web', 'default');
    expect(service?.spec.clusterIP).toMatch(/^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/);
    expect(getObject(instructor.state, 'ProxyTable', 'node-2')?.status.services[0]?.clusterIP).toBe(service?.spec.clusterIP);

    // From each node, the node's own rules: every request served by a ready pod.
    const api = suite.server.cluster.api;
    const route = async (node: string) => (await api.act({ kind: 'bot', classroomId: classroom.id, role: `kube-proxy:${node}` }, { kind: 'routeRequest', node, service: 'web' }, { traffic: true })).entry;
    for (const node of ['node-1', 'node-2']) {
      for (let i = 0; i < 3; i++) expect(await route(node)).toMatchObject({ role: `kube-proxy:${node}`, outcome: 'accepted', message: expect.stringMatching(/^served by web-/) });
    }

    // The instructor stops node-2's kube-proxy, then a pod goes.
    expect(await instructor.instructor({ kind: 'fault', fault: { type: 'stopKubeProxy', node: 'node-2' } })).toEqual({
      ok: true,
      message: 'kube-proxy on node-2 is stopped: requests from node-2 follow its last rules until it syncs again',
    });
    const before = programmed(instructor.state, 'node-2');
    const gone = before[0]?.split(' ')[0] ?? '';
    expect(await instructor.instructor({ kind: 'deleteObject', objectKind: 'Pod', name: gone })).toMatchObject({ ok: true });
    await waitFor(
      async () => {
        await kim.act({ kind: 'syncProxyRules', node: 'node-1', service: 'web' });
        const ready = readyPods(instructor.state);
        return ready.length === 3 && !ready.some((p) => p.startsWith(`${gone} `)) && programmed(instructor.state, 'node-1').join() === ready.join();
      },
      { what: "the replacement Ready and node-1's rules following it", timeoutMs: 60_000, intervalMs: 300 },
    );
    // node-2 still has the old rules; its bot may not sync them.
    expect(programmed(instructor.state, 'node-2')).toEqual(before);
    const refused = await api.act({ kind: 'bot', classroomId: classroom.id, role: 'kube-proxy:node-2' }, { kind: 'syncProxyRules', node: 'node-2', service: 'web' });
    expect(refused.reply).toEqual({ ok: false, code: 'ServiceUnavailable', message: kubeProxyStoppedMessage('node-2') });

    // Requests from node-1 reach only ready pods; from node-2, round robin meets the stale rule.
    for (let i = 0; i < 3; i++) expect((await route('node-1')).message).toMatch(/^served by web-/);
    const fromNode2 = [];
    for (let i = 0; i < 3; i++) fromNode2.push((await route('node-2')).message);
    expect(fromNode2.filter((m) => m.includes(`stale rule: ${gone} is gone or not ready`))).toHaveLength(1);
    expect(fromNode2.filter((m) => m.startsWith('served by web-'))).toHaveLength(2);

    // Started again, node-2's kube-proxy syncs, and its requests reach only ready pods.
    expect(await instructor.instructor({ kind: 'fault', fault: { type: 'startKubeProxy', node: 'node-2' } })).toMatchObject({ ok: true });
    await waitFor(() => programmed(instructor.state, 'node-2').join() === readyPods(instructor.state).join(), { what: "node-2's rules synced again", timeoutMs: 30_000 });
    for (let i = 0; i < 3; i++) expect((await route('node-2')).message).toMatch(/^served by web-/);
  });
});

describe('ClusterIPs from the service range, allocated by the API server on create', () => {
  test('each Service gets its own address; an address in use or outside 10.96.0.0/12 is Invalid; a deleted Service frees its address', async () => {
    const classroom = await classroomWith(suite.server.url, [], { nodes: 1 });
    const store = suite.server.cluster.store;
    const context = { actor: 'test', simTime: 0 };
    const web = await store.create(classroom.id, makeService('web', { app: 'web' }, 80), context);
    const ip = web.spec.clusterIP ?? '';
    const api = await store.create(classroom.id, makeService('api', { app: 'api' }, 80), context);
    expect(api.spec.clusterIP).toMatch(/^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/);
    expect(api.spec.clusterIP).not.toBe(ip);
    await expect(store.create(classroom.id, makeService('copy', { app: 'api' }, 80, { clusterIP: ip }), context)).rejects.toMatchObject({
      status: { code: 422, message: `Service "copy" is invalid: spec.clusterIPs: Invalid value: []string{"${ip}"}: failed to allocate IP ${ip}: provided IP is already allocated` },
    });
    await expect(store.create(classroom.id, makeService('dns', { app: 'api' }, 53, { clusterIP: '10.96.0.1' }), context)).rejects.toMatchObject({ status: { code: 422 } });
    await expect(store.create(classroom.id, makeService('far', { app: 'api' }, 80, { clusterIP: '10.0.0.10' }), context)).rejects.toMatchObject({
      status: { message: expect.stringContaining('The range of valid IPs is 10.96.0.0/12') },
    });
    // Immutable: an update changing it is Invalid; one leaving it out keeps it.
    await expect(store.update(classroom.id, { ...api, spec: { ...api.spec, clusterIP: '10.96.0.77' } }, context)).rejects.toMatchObject({ status: { code: 422, message: expect.stringContaining('may not change once set') } });
    const { clusterIP: _ip, ...spec } = api.spec;
    expect((await store.update(classroom.id, { ...api, spec }, context)).spec).toMatchObject({ clusterIP: api.spec.clusterIP });
    // Deleted, web's address can be asked for by name again.
    await store.delete(classroom.id, { kind: 'Service', name: 'web', namespace: 'default' }, context);
    expect((await store.create(classroom.id, makeService('copy', { app: 'api' }, 80, { clusterIP: ip }), context)).spec.clusterIP).toBe(ip);
  });
});
