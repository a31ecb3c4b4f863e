/**
 * `kubectl auth can-i --list` (SelfSubjectRulesReview) lists the rules every request meets
 * (authorize.ts): the instructor's writes, a kubelet's own pods' status and own Lease, a
 * scheduler's bindings, everyone's reads, as kubectl 1.32 prints them.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { columns, type Kubectl } from './testing/kubectl';
import { kubectlClassroom, type KubectlClassroom } from './testing/kubectl-classroom';

let setup: KubectlClassroom;
let kubectl: Kubectl;

beforeAll(async () => {
  setup = await kubectlClassroom('kubectl-rules', { students: { ada: 'kubelet:node-1', sam: 'scheduler', kim: null } });
  ({ kubectl } = setup);
  // A pod on ada's node: the kubelet writes its status, by name.
  const pod = path.join(path.dirname(kubectl.kubeconfig), 'solo.yaml');
  writeFileSync(pod, 'apiVersion: v1\nkind: Pod\nmetadata: {name: solo}\nspec: {nodeName: node-1, containers: [{name: solo, image: "nginx:1.27"}]}\n');
  expect(await kubectl.run('create', '-f', pod)).toMatchObject({ code: 0 });
}, 60_000);

afterAll(() => setup?.close());

const HEADER = ['Resources', 'Non-Resource URLs', 'Resource Names', 'Verbs'];
const REVIEWS = ['selfsubjectreviews.authentication.k8s.io', 'selfsubjectaccessreviews.authorization.k8s.io', 'selfsubjectrulesreviews.authorization.k8s.io'].map((r) => [r, '[]', '[]', '[create]']);
const READ = [
  'endpoints', 'events', 'namespaces/finalize', 'namespaces/status', 'namespaces', 'nodes/status', 'nodes', 'pods/binding', 'pods/status', 'pods', 'services/status', 'services',
  'deployments.apps/scale', 'deployments.apps/status', 'deployments.apps', 'replicasets.apps/scale', 'replicasets.apps/status', 'replicasets.apps',
  'leases.coordination.k8s.io', 'priorityclasses.scheduling.k8s.io',
];
const reads = (except: string[] = []) => READ.filter((r) => !except.includes(r)).map((r) => [r, '[]', '[]', '[get list watch]']);
const nonResource = (verb: string) => ['', '[*]', '[]', `[${verb}]`];

it('a kubelet may read everything, and write the status of its own node\'s pods (by name) and, in kube-node-lease, its own Lease', async () => {
  const ada = await setup.student('ada');
  expect(await ada.run('auth', 'can-i', '--list')).toEqual({
    stdout: columns([HEADER, ...REVIEWS, ...reads(), nonResource('get'), nonResource('list'), ['pods/status', '[]', '[solo]', '[patch update]'], nonResource('watch')]),
    stderr: '',
    code: 0,
  });
  expect((await ada.run('auth', 'can-i', '--list', '-n', 'kube-node-lease')).stdout).toBe(
    columns([HEADER, ...REVIEWS, ...reads(), nonResource('get'), nonResource('list'), ['leases.coordination.k8s.io', '[]', '[node-1]', '[patch update]'], nonResource('watch')]),
  );
});

it('a scheduler may also create pods/binding; a member without a role only reads', async () => {
  const sam = await setup.student('sam');
  expect((await sam.run('auth', 'can-i', '--list')).stdout).toBe(
    columns([HEADER, ...REVIEWS, ['pods/binding', '[]', '[]', '[get list watch create]'], ...reads(['pods/binding']), nonResource('get'), nonResource('list'), nonResource('watch')]),
  );
  const kim = await setup.student('kim');
  expect((await kim.run('auth', 'can-i', '--list')).stdout).toBe(columns([HEADER, ...REVIEWS, ...reads(), nonResource('get'), nonResource('list'), nonResource('watch')]));
});

it('the instructor writes every stored resource, but no namespace', async () => {
  const lines = (await kubectl.run('auth', 'can-i', '--list')).stdout.split('\n').map((l) => l.trim().split(/\s{2,}/));
  const all = '[get list watch create delete deletecollection patch update]';
  expect(lines).toContainEqual(['pods', '[]', '[]', all]);
  expect(lines).toContainEqual(['deployments.apps/scale', '[]', '[]', all]);
  expect(lines).toContainEqual(['namespaces', '[]', '[]', '[get list watch]']);
});
