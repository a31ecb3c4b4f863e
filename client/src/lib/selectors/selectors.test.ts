import { describe, expect, it } from 'vitest';
import { makeContainerRuntime, makeNode, makePod, toRFC3339, type Pod } from '@shared/model';
import { parseRoute } from '../routes';
import { nodeHealthRows, replicaSetRows, reportedRows, serviceRows } from './controllers';
import { formatAge } from './format';
import { bindingHints } from './hints';
import { pendingPods, podGroups, podStatusText } from './pods';
import { nodeUsage } from './scheduling';
import { cachedImages } from './node-local';
import { ClusterState, fullImageName } from '@shared/sim';

const T0 = Date.parse('2026-11-25T10:00:00Z');

function withStatus(pod: Pod, status: Pod['status']): Pod {
  return { ...pod, status };
}

describe('client routes: every screen has a URL that survives a reload', () => {
  it('maps /, /join/:code, /classroom/:id and /play/:id, and nothing else', () => {
    expect(parseRoute('/')).toEqual({ page: 'home' });
    expect(parseRoute('/join/abc234')).toEqual({ page: 'join', code: 'ABC234' });
    expect(parseRoute('/classroom/c1')).toEqual({ page: 'instructor', classroomId: 'c1' });
    expect(parseRoute('/play/c1/')).toEqual({ page: 'play', classroomId: 'c1' });
    expect(parseRoute('/play/c1/extra')).toEqual({ page: 'not-found', path: '/play/c1/extra' });
  });
});

describe('pod status as kubectl get pods shows it', () => {
  it('a bound pod with no container status yet is ContainerCreating; a waiting reason wins over the phase', () => {
    expect(podStatusText(makePod('web-1', { nodeName: 'node-1' }))).toBe('ContainerCreating');
    const crashing = withStatus(makePod('web-1', { nodeName: 'node-1' }), {
      phase: 'Running',
      containerStatuses: [{ name: 'app', image: 'nginx:1.27', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
    });
    expect(podStatusText(crashing)).toBe('CrashLoopBackOff');
    expect(podStatusText({ ...crashing, metadata: { ...crashing.metadata, deletionTimestamp: toRFC3339(T0) } })).toBe('Terminating');
  });

  it('the scheduling queue holds pods without a node only', () => {
    expect(pendingPods([makePod('a'), makePod('b', { nodeName: 'node-1' })]).map((p) => p.metadata.name)).toEqual(['a']);
  });

  it("the projector's map counts a node's pods by workload and status: a Deployment's by its name, a bare pod by its own", () => {
    const running = (pod: Pod, ready = true): Pod =>
      withStatus(pod, {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
        containerStatuses: [{ name: 'app', image: 'nginx:1.27', imageID: '', ready, restartCount: 0, state: { running: {} } }],
      });
    const web = (suffix: string, nodeName = 'node-1'): Pod => makePod(`web-74cc5b88f9-${suffix}`, { nodeName, labels: { app: 'web', 'pod-template-hash': '74cc5b88f9' } });
    const job = makePod('backup-x7k2p', { nodeName: 'node-1', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'backup', uid: 'j1', controller: true }] });
    const pods = [running(web('a1b2c')), web('d3e4f'), running(web('g5h6i')), running(web('j7k8l'), false), job, makePod('debug', { nodeName: 'node-1' })];
    expect(podGroups(pods)).toEqual([
      { workload: 'backup', status: 'ContainerCreating', tone: 'creating', count: 1 },
      { workload: 'debug', status: 'ContainerCreating', tone: 'creating', count: 1 },
      { workload: 'web', status: 'ContainerCreating', tone: 'creating', count: 1 },
      { workload: 'web', status: 'Running', tone: 'ready', count: 2 },
      { workload: 'web', status: 'Running, not ready', tone: 'running', count: 1 },
    ]);
  });
});

describe('[NodeResourcesFit] requested vs allocatable on a node card', () => {
  it('sums the requests of the active pods bound to the node, not of pods elsewhere or finished', () => {
    const node = makeNode('node-1', { cpu: '2', memory: '4Gi', pods: 10 });
    const done = withStatus(makePod('done', { nodeName: 'node-1', requests: { cpu: '1' } }), { phase: 'Succeeded' });
    const usage = nodeUsage(node, [
      makePod('a', { nodeName: 'node-1', requests: { cpu: '250m', memory: '128Mi' } }),
      makePod('b', { nodeName: 'node-1', requests: { cpu: '500m' } }),
      makePod('c', { nodeName: 'node-2', requests: { cpu: '1' } }),
      done,
    ]);
    expect(usage.requested).toEqual({ cpuMillis: 750, memoryBytes: 128 * 1024 * 1024, pods: 2 });
    expect(usage.allocatable).toEqual({ cpuMillis: 2000, memoryBytes: 4 * 1024 ** 3, pods: 10 });
  });
});

describe('controller manager view: desired and observed, from the watch alone', () => {
  const rs = {
    apiVersion: 'apps/v1' as const,
    kind: 'ReplicaSet' as const,
    metadata: { name: 'web-5d8f6c9b7', namespace: 'default', uid: 'rs-uid' },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
  };
  const owned = (name: string) => makePod(name, { labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: 'rs-uid', controller: true }] });

  it('[ReplicaSet] counts only the active pods it controls', () => {
    expect(replicaSetRows([rs], [owned('web-5d8f6c9b7-abcde'), makePod('stray', { labels: { app: 'web' } })])[0]).toEqual({ name: rs.metadata.name, desired: 3, current: 1, ready: 0 });
  });

  it('the host screen\'s READY is the status the controller wrote (as kubectl get prints it), not the pods as they are', () => {
    // Three pods Ready, the ReplicaSet controller has counted two so far: kubectl get rs says 2/3, and so does the host screen.
    expect(reportedRows([{ ...rs, status: { replicas: 3, readyReplicas: 2 } }])).toEqual([{ name: rs.metadata.name, desired: 3, current: 3, ready: 2 }]);
    expect(reportedRows([rs])).toEqual([{ name: rs.metadata.name, desired: 3, current: 0, ready: 0 }]);
  });

  it('[NodeLifecycle] the time since a node\'s last heartbeat, and its taints', () => {
    const node = makeNode('node-1', { now: T0 });
    expect(nodeHealthRows([node], [], T0 + 51_000)[0]).toMatchObject({ sinceHeartbeat: 51_000, taints: [] });
  });

  it('[Endpoints] a Service lists the IPs of its ready matching pods beside what its Endpoints hold', () => {
    const ready = withStatus(makePod('web-1', { labels: { app: 'web' }, nodeName: 'node-1' }), { phase: 'Running', podIP: '10.244.1.5', conditions: [{ type: 'Ready', status: 'True' }] });
    const notReady = withStatus(makePod('web-2', { labels: { app: 'web' }, nodeName: 'node-1' }), { phase: 'Running', podIP: '10.244.1.6' });
    const service = { apiVersion: 'v1' as const, kind: 'Service' as const, metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' } } };
    const [row] = serviceRows([service], [], [ready, notReady]);
    expect(row).toMatchObject({ expected: ['10.244.1.5'], actual: [] });
    const endpoints = { apiVersion: 'v1' as const, kind: 'Endpoints' as const, metadata: { name: 'web', namespace: 'default' }, subsets: [{ addresses: [{ ip: '10.244.1.5' }] }] };
    expect(serviceRows([service], [endpoints], [ready, notReady])[0]).toMatchObject({ expected: ['10.244.1.5'], actual: ['10.244.1.5'] });
  });
});

describe('ages', () => {
  it('formats ages as kubectl does', () => {
    expect([formatAge(5_000), formatAge(150_000), formatAge(3_600_000)]).toEqual(['5s', '2m30s', '60m']);
  });
});

describe('[scheduler filters] hints on the scheduler’s node cards come from the filters the API server checks a bind with', () => {
  it('a node without room gives "Insufficient cpu", a tainted node its untolerated taint, a free node fits', () => {
    const pod = makePod('web-1', { requests: { cpu: '1500m' } });
    const busy = makePod('busy', { nodeName: 'node-1', requests: { cpu: '1' } });
    const nodes = [makeNode('node-1', { cpu: '2' }), makeNode('node-2', { cpu: '2', taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] }), makeNode('node-3', { cpu: '2' })];
    const hints = bindingHints(ClusterState.from([...nodes, busy, pod]), pod, ['node-1', 'node-2', 'node-3']);
    expect(hints.get('node-1')).toMatchObject({ ok: false, reasons: ['Insufficient cpu'] });
    expect(hints.get('node-2')).toMatchObject({ ok: false, reasons: ['node(s) had untolerated taint {gpu: true}'] });
    expect(hints.get('node-3')?.ok).toBe(true);
  });
});

describe('kubelet view: is the image on my node?', () => {
  it('[IfNotPresent] an image the runtime pulled as docker.io/library/nginx:1.27 counts as present for nginx:1.27', () => {
    const runtime = makeContainerRuntime('node-1');
    runtime.status = { ...runtime.status!, images: [{ name: 'docker.io/library/nginx:1.27', pulledAt: toRFC3339(0) }] };
    const images = cachedImages([runtime], makeNode('node-1'));
    expect(images.has(fullImageName('nginx:1.27'))).toBe(true);
    expect(images.has(fullImageName('redis:7'))).toBe(false);
  });

  it('an image the kubelet reported in node.status.images under its short name counts too', () => {
    const node = makeNode('node-1');
    node.status = { ...node.status, images: [{ names: ['redis:7'], sizeBytes: 1 }] };
    expect(cachedImages([], node).has(fullImageName('redis:7'))).toBe(true);
  });
});
