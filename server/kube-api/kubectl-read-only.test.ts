/**
 * Scenario 7's fault through kubectl (issue 11): while etcd takes no writes, every write path of
 * the Kubernetes API (create, apply, scale, patch, label, delete, a scheduler's binding) answers
 * 503 ServiceUnavailable with the API server's words, is logged refused, and changes nothing;
 * reads still work, the authorizer still decides first, and writes work again when etcd is back.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../app';
import { connectCluster, storeObjects, type Classroom, type ClusterClient } from '../cluster/testing/cluster-client';
import { READ_ONLY_MESSAGE } from '../rounds/round-service';
import { waitFor } from '../testing/wait';
import type { Kubectl } from './testing/kubectl';
import { kubectlClassroom, type KubectlClassroom } from './testing/kubectl-classroom';

let setup: KubectlClassroom;
let server: RunningServer;
let classroom: Classroom;
let instructor: ClusterClient;
let samSocket: ClusterClient;
let kubectl: Kubectl;
let sam: Kubectl;
let ada: Kubectl;

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: "nginx:1.27"}]}
`;

beforeAll(async () => {
  // Scenario 7's cluster, in its briefing (the clock stands still: nothing else writes).
  setup = await kubectlClassroom('kubectl-read-only', { students: { ada: 'kubelet:node-1', sam: 'scheduler' }, then: [{ kind: 'runScenario', scenario: 'etcd-read-only', seed: 7 }] });
  ({ server, classroom, instructor, kubectl } = setup);
  // sam is connected: a student who is there leads the scheduler team (holds its Lease).
  samSocket = await connectCluster(server.url, classroom.students.get('sam')?.token ?? '');
  sam = await setup.student('sam');
  ada = await setup.student('ada');
}, 60_000);

afterAll(async () => {
  samSocket?.close();
  await setup?.close();
});

const unavailable = `the server is currently unable to handle the request`;

it('[etcd read-only] every kubectl write answers 503 with the API server\'s words and changes nothing; reads work; writes resume when etcd is back', async () => {
  expect(READ_ONLY_MESSAGE).toBe(unavailable);
  // A pending pod for the scheduler to bind, made while etcd still takes writes.
  const pod = path.join(path.dirname(kubectl.kubeconfig), 'solo.yaml');
  writeFileSync(pod, 'apiVersion: v1\nkind: Pod\nmetadata: {name: solo}\nspec: {containers: [{name: solo, image: "nginx:1.27"}]}\n');
  expect(await kubectl.run('create', '-f', pod)).toMatchObject({ stdout: 'pod/solo created\n', code: 0 });
  expect(await instructor.instructor({ kind: 'fault', fault: { type: 'readOnlyStore', readOnly: true } })).toMatchObject({ ok: true });
  const before = await storeObjects(server.cluster.store, classroom.id);
  const file = path.join(path.dirname(kubectl.kubeconfig), 'api.yaml');
  writeFileSync(file, deployment);

  const writes: [Kubectl, string[], string][] = [
    [kubectl, ['create', '-f', file], `Error from server (ServiceUnavailable): error when creating "${file}": ${unavailable}\n`],
    [kubectl, ['apply', '--server-side', '-f', file], `Error from server (ServiceUnavailable): ${unavailable}\n`],
    [kubectl, ['scale', 'deployment', 'web', '--replicas=5'], `Error from server (ServiceUnavailable): ${unavailable}\n`],
    [kubectl, ['patch', 'deployment', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"tier":"web"}}}'], `Error from server (ServiceUnavailable): ${unavailable}\n`],
    [kubectl, ['label', 'node', 'node-1', 'zone=a'], `Error from server (ServiceUnavailable): ${unavailable}\n`],
    [kubectl, ['delete', 'deployment', 'web'], `Error from server (ServiceUnavailable): ${unavailable}\n`],
  ];
  for (const [who, args, stderr] of writes) expect({ args, ...(await who.run(...args)) }).toEqual({ args, stdout: '', stderr, code: 1 });

  // A scheduler's binding (the rulebook's bind move) is a write too.
  const config = new KubeConfig();
  config.loadFromFile(sam.kubeconfig);
  const binding = await fetch(`${config.getCurrentCluster()?.server ?? ''}/api/v1/namespaces/default/pods/solo/binding`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'solo' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' } }),
  });
  expect([binding.status, await binding.json()]).toEqual([503, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: unavailable, reason: 'ServiceUnavailable', code: 503 }]);

  // The authorizer decides first: a kubelet may not scale a Deployment, etcd or not.
  expect((await ada.run('scale', 'deployment', 'web', '--replicas=1')).stderr).toMatch(/^Error from server \(Forbidden\): deployments\.apps "web" is forbidden: User "ada" cannot patch resource "deployments\/scale"/);
  // Reads work, and nothing changed.
  expect((await kubectl.run('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).stdout).toBe('3');
  expect(await storeObjects(server.cluster.store, classroom.id)).toEqual(before);
  // The log is appended off the request's path: wait for the last entry.
  const log = await waitFor(async () => {
    const entries = (await server.cluster.store.readRequestLog(classroom.id, 200)).filter((e) => e.via === 'kubectl' && e.code === 'ServiceUnavailable');
    return entries.length >= 7 && entries;
  }, { what: 'the refused writes in the request log' });
  expect(log.map((e) => [e.actorName, e.verb, e.outcome, e.message])).toEqual([
    ['Instructor', 'create', 'refused', unavailable],
    ['Instructor', 'patch', 'refused', unavailable],
    ['Instructor', 'patch', 'refused', unavailable],
    ['Instructor', 'patch', 'refused', unavailable],
    ['Instructor', 'patch', 'refused', unavailable],
    ['Instructor', 'delete', 'refused', unavailable],
    ['sam', 'bind', 'refused', unavailable],
  ]);

  // etcd is back: the same write goes through.
  expect(await instructor.instructor({ kind: 'fault', fault: { type: 'readOnlyStore', readOnly: false } })).toMatchObject({ ok: true });
  expect(await kubectl.run('scale', 'deployment', 'web', '--replicas=5')).toMatchObject({ stdout: 'deployment.apps/web scaled\n', code: 0 });
}, 90_000);
