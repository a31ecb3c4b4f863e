/**
 * The installed kubectl 1.32 reads a classroom the bots are playing, with a kubeconfig downloaded
 * as a member downloads it; each output is what kubectl prints against a real cluster in that state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fromRFC3339, isPodReady, type Pod } from '@shared/model';
import { simNow } from '@shared/protocol';
import type { RunningServer } from '../app';
import { classroomWith, type Classroom, type ClusterClient } from '../cluster/testing/cluster-client';
import { waitFor } from '../testing/wait';
import { ageSince } from './age';
import { movedBy } from './served-time';
import { columns, kubectlFor, type Kubectl } from './testing/kubectl';
import { kubectlClassroom, type KubectlClassroom } from './testing/kubectl-classroom';

let setup: KubectlClassroom;
let server: RunningServer;
let classroom: Classroom;
let instructor: ClusterClient;
let kubectl: Kubectl;
let now: number;

beforeAll(async () => {
  setup = await kubectlClassroom('kubectl-read', { students: { ada: null }, body: { title: 'Period 3', nodes: 2 }, then: 'play' });
  ({ server, classroom, instructor, kubectl } = setup);
  const store = server.cluster.runtime.store;
  await waitFor(
    async () => {
      const { items } = await store.list(classroom.id, 'Pod');
      const endpoints = await store.list(classroom.id, 'Endpoints');
      return items.length === 3 && items.every(isPodReady) && endpoints.items[0]?.subsets?.[0]?.addresses?.length === 3;
    },
    { what: 'the bots to bring web up', timeoutMs: 45_000, intervalMs: 200 },
  );
  // Paused, the simulated clock stands still: ages are what the test computes.
  expect(await instructor.instructor({ kind: 'pause' })).toMatchObject({ ok: true });
  const view = await server.classrooms.view(classroom.id);
  now = Math.floor(simNow(view?.clock ?? { simAtWall: 0, wall: 0, timeScale: 1, paused: true }, Date.now()));
}, 90_000);

afterAll(() => setup?.close());

const list = async <K extends 'Pod' | 'Node' | 'ReplicaSet' | 'Event'>(kind: K) => (await server.cluster.runtime.store.list(classroom.id, kind)).items;
const age = (o: { metadata: { creationTimestamp?: string | undefined } }) => ageSince(o.metadata.creationTimestamp, now);

describe('kubeconfig download', () => {
  it('answers a member with a kubeconfig whose server URL carries the token and whose context is named after the classroom', async () => {
    const ada = classroom.students.get('ada')?.token ?? '';
    const res = await fetch(`${server.url}/api/classrooms/${classroom.id}/kubeconfig`, { headers: { authorization: `Bearer ${ada}` } });
    expect(res.status).toBe(200);
    const config = parse(await res.text()) as Record<string, unknown>;
    expect(config).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'period-3', cluster: { 'insecure-skip-tls-verify': true, server: `${server.url}/k8s/${ada}` } }],
      users: [{ name: 'ada@period-3', user: {} }],
      contexts: [{ name: 'period-3', context: { cluster: 'period-3', user: 'ada@period-3', namespace: 'default' } }],
      'current-context': 'period-3',
      preferences: {},
    });
  });

  it('refuses a request without a token (401) and a token of another classroom (403)', async () => {
    const none = await fetch(`${server.url}/api/classrooms/${classroom.id}/kubeconfig`);
    expect(none.status).toBe(401);
    const other = await classroomWith(server.url, []);
    const res = await fetch(`${server.url}/api/classrooms/${classroom.id}/kubeconfig`, { headers: { authorization: `Bearer ${other.instructorToken}` } });
    expect([res.status, ((await res.json()) as { message: string }).message]).toEqual([403, 'this token belongs to another classroom']);
  });
});

describe('kubectl get', () => {
  it('get nodes prints NAME STATUS ROLES AGE VERSION', async () => {
    const nodes = await list('Node');
    expect((await kubectl.run('get', 'nodes')).stdout).toBe(
      columns([['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'], ...nodes.map((n) => [n.metadata.name, 'Ready', '<none>', age(n), n.status?.nodeInfo?.kubeletVersion ?? ''])]),
    );
  });

  it('get nodes -o wide names what a simulated node runs: its OS image and kernel as the simulator, its runtime as the one its containers\' IDs name', async () => {
    // A kwok node reports kwok-<version> (kwok kustomize/stage/node/fast/node-initialize.yaml); none is <unknown>.
    const nodes = await list('Node');
    expect((await kubectl.run('get', 'nodes', '-o', 'wide')).stdout).toBe(
      columns([
        ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'],
        ...nodes.map((n, i) => [n.metadata.name, 'Ready', '<none>', age(n), 'v1.32.0', `192.168.0.${i + 2}`, '<none>', 'ClusterPlay simulated node', 'clusterplay-simulated', 'containerd://1.7.24']),
      ]),
    );
    const ids = (await kubectl.run('get', 'pods', '-o', 'jsonpath={.items[*].status.containerStatuses[*].containerID}')).stdout.split(' ');
    expect(ids.length).toBe(3);
    for (const id of ids) expect(id).toMatch(/^containerd:\/\/[0-9a-f]+$/);
  });

  it('get pods -o wide prints the wide columns with each pod\'s IP and node', async () => {
    const pods = await list('Pod');
    expect((await kubectl.run('get', 'pods', '-o', 'wide')).stdout).toBe(
      columns([
        ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'],
        ...pods.map((p) => [p.metadata.name, '1/1', 'Running', '0', age(p), p.status?.podIP ?? '', p.spec.nodeName ?? '', '<none>', '<none>']),
      ]),
    );
  });

  it('describe pod shows its addresses as the kubelet reports them (status.podIPs, hostIPs)', async () => {
    const [pod] = await list('Pod');
    const out = (await kubectl.run('describe', 'pod', pod?.metadata.name ?? '')).stdout;
    const ip = (pod?.status?.podIP ?? '?').replaceAll('.', '\\.');
    expect(out).toMatch(new RegExp(`\\nIP: +${ip}\\nIPs:\\n +IP: +${ip}\\n`));
    expect(pod?.status?.hostIPs).toEqual([{ ip: pod?.status?.hostIP }]);
  });

  it('describe pod lists the pod\'s Events (kubectl selects them by involvedObject name, namespace and uid)', async () => {
    const [pod] = await list('Pod');
    const name = pod?.metadata.name ?? '';
    const out = (await kubectl.run('describe', 'pod', name)).stdout;
    const events = out.slice(out.indexOf('\nEvents:'));
    expect(events).toMatch(/^\nEvents:\n +Type +Reason +Age +From +Message\n +---- +------ +---- +---- +-------\n/);
    // The age is kubectl's own: the event's time against the clock of the machine kubectl runs on.
    expect(events).toMatch(new RegExp(`\\n +Normal +Scheduled +\\S+ +default-scheduler +Successfully assigned default/${name} to ${pod?.spec.nodeName ?? '?'}\\n`));
    expect(events).toMatch(/\n +Normal +Started +\S+ +kubelet +Started container web\n/);
  });

  it('get deploy,rs,svc,ep prints one table per kind, names prefixed with their resource', async () => {
    const [rs] = await list('ReplicaSet');
    const deploy = await server.cluster.runtime.store.get(classroom.id, { kind: 'Deployment', name: 'web' });
    const svc = await server.cluster.runtime.store.get(classroom.id, { kind: 'Service', name: 'web' });
    const ep = await server.cluster.runtime.store.get(classroom.id, { kind: 'Endpoints', name: 'web' });
    const ips = (ep.subsets?.[0]?.addresses ?? []).map((a) => `${a.ip}:80`);
    expect((await kubectl.run('get', 'deploy,rs,svc,ep')).stdout).toBe(
      [
        columns([
          ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
          ['deployment.apps/web', '3/3', 3, 3, age(deploy)],
        ]),
        columns([
          ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'],
          [`replicaset.apps/${rs?.metadata.name ?? ''}`, 3, 3, 3, age(rs ?? deploy)],
        ]),
        columns([
          ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
          ['service/web', 'ClusterIP', svc.spec.clusterIP ?? '<none>', '<none>', '80/TCP', age(svc)],
        ]),
        columns([
          ['NAME', 'ENDPOINTS', 'AGE'],
          ['endpoints/web', ips.join(','), age(ep)],
        ]),
      ].join('\n'),
    );
  });

  it('describe svc prints the IP families, IPs and traffic policy 1.32 defaults; Endpoints carry no generation', async () => {
    const svc = await server.cluster.runtime.store.get(classroom.id, { kind: 'Service', name: 'web' });
    const ip = svc.spec.clusterIP ?? '?';
    expect(svc.spec).toMatchObject({ clusterIPs: [ip], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster', sessionAffinity: 'None' });
    expect(svc.status).toEqual({ loadBalancer: {} });
    const out = (await kubectl.run('describe', 'svc', 'web')).stdout;
    expect(out).toMatch(new RegExp(`\nType: +ClusterIP\nIP Family Policy: +SingleStack\nIP Families: +IPv4\nIP: +${ip.replaceAll('.', '\\.')}\nIPs: +${ip.replaceAll('.', '\\.')}\n`));
    expect(out).toMatch(/\nSession Affinity: +None\nInternal Traffic Policy: +Cluster\n/);
    const ep = await server.cluster.runtime.store.get(classroom.id, { kind: 'Endpoints', name: 'web' });
    expect(ep.metadata.generation).toBeUndefined();
  });

  it('metadata.generation is where 1.32\'s strategies set it: the apps kinds only, of these (the table is shared/sim/admission/admit.test.ts)', async () => {
    const generations = (await kubectl.run('get', 'deploy,rs,po,svc,ep,no,lease', '-A', '-o', 'jsonpath={range .items[*]}{.kind}={.metadata.generation}{"\\n"}{end}')).stdout;
    const byKind: Record<string, string[]> = {};
    for (const [kind = '', generation = ''] of generations.trim().split('\n').map((line) => line.split('='))) byKind[kind] = [...new Set([...(byKind[kind] ?? []), generation])];
    expect(byKind).toEqual({ Deployment: ['1'], ReplicaSet: ['1'], Pod: [''], Service: [''], Endpoints: [''], Node: [''], Lease: [''] });
  });

  it('selects pods by label (-l) and by field (--field-selector spec.nodeName=, metadata.name=)', async () => {
    const pods = await list('Pod');
    const names = (output: string) => output.trim().split('\n');
    expect(names((await kubectl.run('get', 'pods', '-l', 'app=web', '-o', 'name')).stdout)).toEqual(pods.map((p) => `pod/${p.metadata.name}`));
    expect((await kubectl.run('get', 'pods', '-l', 'app!=web')).stderr).toBe('No resources found in default namespace.\n');
    const onNode1 = pods.filter((p) => p.spec.nodeName === 'node-1').map((p) => `pod/${p.metadata.name}`);
    expect(names((await kubectl.run('get', 'pods', '--field-selector', 'spec.nodeName=node-1', '-o', 'name')).stdout).filter(Boolean)).toEqual(onNode1);
    const first = pods[0] as Pod;
    expect((await kubectl.run('get', 'pods', '--field-selector', `metadata.name=${first.metadata.name}`, '-o', 'name')).stdout).toBe(`pod/${first.metadata.name}\n`);
    expect((await kubectl.run('get', 'pods', '--field-selector', 'spec.foo=x')).stderr).toBe(
      'Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "", field selector "spec.foo=x": field label not supported: spec.foo\n',
    );
  });

  it('get -o yaml prints the stored object, its times moved by whole seconds onto the real clock (served-time.ts)', async () => {
    const [pod] = await list('Pod');
    const printed = parse((await kubectl.run('get', 'pod', pod?.metadata.name ?? '', '-o', 'yaml')).stdout) as Pod;
    const shift = fromRFC3339(printed.metadata.creationTimestamp ?? '') - fromRFC3339(pod?.metadata.creationTimestamp ?? '');
    expect(Math.abs(shift % 1000)).toBe(0);
    expect(printed).toEqual(JSON.parse(JSON.stringify(movedBy(pod, shift))));
  });

  it('get events --sort-by=.lastTimestamp prints LAST SEEN TYPE REASON OBJECT MESSAGE, oldest first', async () => {
    const events = (await list('Event')).sort((a, b) => (a.lastTimestamp ?? '').localeCompare(b.lastTimestamp ?? ''));
    const { stdout } = await kubectl.run('get', 'events', '--sort-by=.lastTimestamp');
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]?.split(/\s{2,}/)).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(lines).toHaveLength(events.length + 1);
    // Sorting is stable on equal times, so compare the multiset of rows and the order of times.
    const rows = lines.slice(1).map((l) => l.split(/\s{2,}/).slice(1, 4).join(' '));
    expect(rows.sort()).toEqual(events.map((e) => `${e.type} ${e.reason} ${e.involvedObject.kind?.toLowerCase()}/${e.involvedObject.name}`).sort());
    expect(events.some((e) => e.reason === 'Scheduled')).toBe(true);
  });

  it('get lease -A lists the node and leader Leases with their holders', async () => {
    const { stdout } = await kubectl.run('get', 'lease', '-A');
    expect(stdout.split('\n')[0]?.split(/\s+/)).toEqual(['NAMESPACE', 'NAME', 'HOLDER', 'AGE']);
    expect(stdout).toMatch(/kube-node-lease\s+node-1\s+node-1\s/);
    expect(stdout).toMatch(/kube-system\s+kube-scheduler\s+bot:scheduler\s/);
  });

  it('answers what does not exist as a real API server does', async () => {
    expect(await kubectl.run('get', 'pod', 'nope')).toMatchObject({ stderr: 'Error from server (NotFound): pods "nope" not found\n', code: 1 });
    expect((await kubectl.run('get', 'configmaps')).stderr).toBe('error: the server doesn\'t have a resource type "configmaps"\n');
    // /openapi/v3 serves paths and parameters but no object schemas: explain says it finds none.
    expect(await kubectl.run('explain', 'deployment.spec')).toMatchObject({ stderr: 'error: GVK map[group:apps kind:Deployment version:v1] not found in OpenAPI schema\n', code: 1 });
  });

  it('refuses an unknown token with 401: kubectl asks to log in', async () => {
    const stranger = await kubectlFor(server.url, classroom.id, classroom.instructorToken);
    const { readFileSync, writeFileSync } = await import('node:fs');
    writeFileSync(stranger.kubeconfig, readFileSync(stranger.kubeconfig, 'utf8').replace(classroom.instructorToken, `${classroom.id}.not-a-token`));
    // kubectl's discovery meets the 401 first, and says so as it does against a real cluster.
    const { stderr, code } = await stranger.run('get', 'pods');
    expect([stderr.trimEnd().split('\n').at(-1), code]).toEqual(['error: You must be logged in to the server (the server has asked for the client to provide credentials)', 1]);
    stranger.dispose();
  });
});
