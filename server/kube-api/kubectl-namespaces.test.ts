/**
 * Namespaces through kubectl 1.32: the four a cluster starts with, Active, listed and read as a real
 * cluster prints them; creating or deleting one is refused by the authorizer, whoever asks.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { simNow } from '@shared/protocol';
import type { RunningServer } from '../app';
import type { Classroom } from '../cluster/testing/cluster-client';
import { waitFor } from '../testing/wait';
import { ageSince } from './age';
import { columns, type Kubectl } from './testing/kubectl';
import { kubectlClassroom, type KubectlClassroom } from './testing/kubectl-classroom';

let setup: KubectlClassroom;
let server: RunningServer;
let classroom: Classroom;
let kubectl: Kubectl;

beforeAll(async () => {
  // The lobby: the clock stands still, so ages are what the test computes.
  setup = await kubectlClassroom('kubectl-namespaces', { students: { ada: 'kubelet:node-1' } });
  ({ server, classroom, kubectl } = setup);
}, 60_000);

afterAll(() => setup?.close());

const NAMES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];

/** A Deployment to apply in a namespace. */
const manifest = (namespace: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: solo
  namespace: ${namespace}
spec:
  replicas: 1
  selector:
    matchLabels: { app: solo }
  template:
    metadata:
      labels: { app: solo }
    spec:
      containers: [{ name: solo, image: 'nginx:1.27' }]
`;

/** The API server's URL in the instructor's kubeconfig (kubectl get --raw ignores its path, so raw requests are made here). */
const apiBase = (): string => (parse(readFileSync(kubectl.kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] }).clusters[0]?.cluster.server ?? '';

/** The cluster's birth: its first node's creation. */
async function born(): Promise<string> {
  const { items } = await server.cluster.runtime.store.list(classroom.id, 'Node');
  return items.map((n) => n.metadata.creationTimestamp ?? '').sort()[0] ?? '';
}

/** `get ns` as a cluster born with its first nodes prints it now. */
async function namespacesTable(): Promise<string> {
  const view = await server.classrooms.view(classroom.id);
  const now = Math.floor(simNow(view?.clock ?? { simAtWall: 0, wall: 0, timeScale: 1, paused: true }, Date.now()));
  const age = ageSince(await born(), now);
  return columns([['NAME', 'STATUS', 'AGE'], ...NAMES.map((n) => [n, 'Active', age])]);
}

it('get ns and get namespaces print NAME STATUS AGE for the four namespaces, each Active', async () => {
  const table = await namespacesTable();
  expect(await kubectl.run('get', 'ns')).toEqual({ stdout: table, stderr: '', code: 0 });
  expect(await kubectl.run('get', 'namespaces')).toEqual({ stdout: table, stderr: '', code: 0 });
  expect((await kubectl.run('get', 'ns', '-o', 'name')).stdout).toBe(NAMES.map((n) => `namespace/${n}\n`).join(''));
  expect((await kubectl.run('get', 'ns', '-l', 'kubernetes.io/metadata.name=kube-system', '-o', 'name')).stdout).toBe('namespace/kube-system\n');
});

it('get namespace default -o yaml is the Namespace a 1.32 cluster holds', async () => {
  const { stdout, code } = await kubectl.run('get', 'namespace', 'default', '-o', 'yaml');
  expect(code).toBe(0);
  const ns = parse(stdout) as { metadata: Record<string, unknown> };
  expect(ns).toEqual({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'default', uid: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/), resourceVersion: '1', creationTimestamp: expect.any(String), labels: { 'kubernetes.io/metadata.name': 'default' } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });
  // The same namespace keeps its uid from read to read.
  expect((await kubectl.run('get', 'ns', 'default', '-o', 'jsonpath={.metadata.uid}')).stdout).toBe(ns.metadata['uid']);
  expect(await kubectl.run('get', 'ns', 'team-a')).toEqual({ stdout: '', stderr: 'Error from server (NotFound): namespaces "team-a" not found\n', code: 1 });
});

it('a namespace create or delete is refused by the authorizer, for the instructor and a student alike, and logged refused', async () => {
  // The collection path is at the cluster scope; a path naming a namespace is a request in it (k8s.io/apiserver
  // pkg/endpoints/request/requestinfo.go sets the namespace from /namespaces/<name>; responsewriters.forbiddenMessage words it).
  expect(await kubectl.run('create', 'namespace', 'team-a')).toEqual({
    stdout: '',
    stderr: `Error from server (Forbidden): namespaces is forbidden: User "Instructor" cannot create resource "namespaces" in API group "" at the cluster scope: a classroom's cluster has the namespaces default, kube-node-lease, kube-public, kube-system only\n`,
    code: 1,
  });
  const ada = await setup.student('ada');
  expect(await ada.run('delete', 'namespace', 'kube-public')).toEqual({
    stdout: '',
    stderr: `Error from server (Forbidden): namespaces "kube-public" is forbidden: User "ada" cannot delete resource "namespaces" in API group "" in the namespace "kube-public": a kubelet writes only the status of the pods on its own node node-1 and its own Lease kube-node-lease/node-1\n`,
    code: 1,
  });
  expect(await kubectl.run('label', 'namespace', 'default', 'team=a')).toEqual({
    stdout: '',
    stderr: `Error from server (Forbidden): namespaces "default" is forbidden: User "Instructor" cannot patch resource "namespaces" in API group "" in the namespace "default": a classroom's cluster has the namespaces default, kube-node-lease, kube-public, kube-system only\n`,
    code: 1,
  });
  expect((await kubectl.run('get', 'ns', '-o', 'name')).stdout).toBe(NAMES.map((n) => `namespace/${n}\n`).join(''));
  const log = await waitFor(async () => {
    const entries = (await server.cluster.store.readRequestLog(classroom.id, 50)).filter((e) => e.via === 'kubectl' && e.target.startsWith('namespaces'));
    return entries.length >= 3 && entries;
  }, { what: 'the refused namespace writes in the request log' });
  expect(log.map((e) => [e.actorName, e.verb, e.target, e.outcome, e.code])).toEqual([
    ['Instructor', 'create', 'namespaces', 'refused', 'Forbidden'],
    ['ada', 'delete', 'namespaces/kube-public', 'refused', 'Forbidden'],
    ['Instructor', 'patch', 'namespaces/default', 'refused', 'Forbidden'],
  ]);
});

it('nothing is created in a namespace the cluster does not have: 404 namespaces "x" not found (NamespaceLifecycle), and nothing is stored', async () => {
  expect(await kubectl.run('create', 'deployment', 'x', '--image=nginx:1.27', '-n', 'team-a')).toEqual({
    stdout: '',
    stderr: 'error: failed to create deployment: namespaces "team-a" not found\n',
    code: 1,
  });
  expect(await kubectl.run('create', 'service', 'clusterip', 'x', '--tcp=80', '-n', 'team-a', '--dry-run=server')).toMatchObject({ stderr: 'error: failed to create ClusterIP service: namespaces "team-a" not found\n', code: 1 });
  // Every create meets the rule (the store's admission), server-side apply's and the instructor console's too.
  const file = path.join(path.dirname(kubectl.kubeconfig), 'team-a.yaml');
  writeFileSync(file, manifest('team-a'));
  expect(await kubectl.run('apply', '--server-side', '-f', file)).toEqual({ stdout: '', stderr: 'Error from server (NotFound): namespaces "team-a" not found\n', code: 1 });
  expect(await setup.instructor.instructor({ kind: 'apply', manifest: manifest('team-a') })).toEqual({ ok: false, code: 'NotFound', message: 'namespaces "team-a" not found' });
  const stored = await Promise.all((['Deployment', 'Service', 'Pod'] as const).map(async (kind) => (await server.cluster.runtime.store.list(classroom.id, kind, { namespace: 'team-a' })).items));
  expect(stored.flat()).toEqual([]);
  // The four it has take a create as before.
  expect(await kubectl.run('create', 'deployment', 'x', '--image=nginx:1.27', '-n', 'kube-public')).toMatchObject({ stdout: 'deployment.apps/x created\n', code: 0 });
  expect(await setup.instructor.instructor({ kind: 'apply', manifest: manifest('kube-public') })).toEqual({ ok: true, message: 'deployment.apps/solo created' });
});

it('a body that does not decode is a 400 before NamespaceLifecycle\'s 404, as 1.32 decodes before it admits', async () => {
  // k8s.io/apiserver/pkg/endpoints/handlers/create.go: decode and the API version check answer before mutating admission runs.
  const post = async (body: string) => {
    const res = await fetch(`${apiBase()}/api/v1/namespaces/team-a/pods`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: res.status, body: (await res.json()) as { reason: string; message: string } };
  };
  expect(await post('{"kind": "Pod",')).toMatchObject({ status: 400, body: { reason: 'BadRequest' } });
  expect(await post(JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } }))).toMatchObject({
    status: 400,
    body: { reason: 'BadRequest', message: 'the API version in the data (apps/v1) does not match the expected API version (v1)' },
  });
  // Decoded, it meets admission before the fields are validated (a Pod with no container is a 422 where the namespace exists).
  expect(await post(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [] } }))).toMatchObject({
    status: 404,
    body: { reason: 'NotFound', message: 'namespaces "team-a" not found' },
  });
});

it('a namespace\'s status is read as the namespace, as discovery says it is served; finalize takes no get, and writes to either are refused', async () => {
  // pkg/registry/core/namespace/storage/storage.go: StatusREST serves get (and patch, update), FinalizeREST only update.
  const row = (await kubectl.run('get', 'ns', 'default')).stdout;
  expect(await kubectl.run('get', 'ns', 'default', '--subresource=status')).toEqual({ stdout: row, stderr: '', code: 0 });
  expect((await kubectl.run('get', 'ns', 'kube-system', '--subresource=status', '-o', 'jsonpath={.status.phase}')).stdout).toBe('Active');
  const ada = await setup.student('ada');
  // kubectl get --subresource takes status and scale only: finalize is asked directly.
  expect((await fetch(`${apiBase()}/api/v1/namespaces/default/finalize`)).status).toBe(405);
  expect(await ada.run('patch', 'ns', 'default', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Terminating"}}')).toEqual({
    stdout: '',
    stderr: `Error from server (Forbidden): namespaces "default" is forbidden: User "ada" cannot patch resource "namespaces/status" in API group "" in the namespace "default": a kubelet writes only the status of the pods on its own node node-1 and its own Lease kube-node-lease/node-1\n`,
    code: 1,
  });
});

it('auth can-i: namespaces are read by everyone and written by no one, the instructor included', async () => {
  expect(await kubectl.run('auth', 'can-i', 'list', 'namespaces')).toMatchObject({ stdout: 'yes\n', code: 0 });
  expect(await kubectl.run('auth', 'can-i', 'create', 'namespaces')).toMatchObject({ stdout: 'no\n', code: 1 });
  const ada = await setup.student('ada');
  expect(await ada.run('auth', 'can-i', 'get', 'ns')).toMatchObject({ stdout: 'yes\n', code: 0 });
});

it('a namespace is as old as the classroom, whatever nodes come and go: removing every node moves no AGE', async () => {
  // The lobby's clock stands still: the AGE a namespace born with the first nodes shows stays what it was.
  const table = await namespacesTable();
  expect(await kubectl.run('get', 'ns')).toEqual({ stdout: table, stderr: '', code: 0 });
  const view = await server.classrooms.view(classroom.id);
  for (const node of view?.nodes ?? []) expect(await setup.instructor.instructor({ kind: 'fault', fault: { type: 'removeNode', node } })).toMatchObject({ ok: true });
  await waitFor(async () => (await server.cluster.runtime.store.list(classroom.id, 'Node')).items.length === 0, { what: 'every node removed' });
  expect(await kubectl.run('get', 'ns')).toEqual({ stdout: table, stderr: '', code: 0 });
});
