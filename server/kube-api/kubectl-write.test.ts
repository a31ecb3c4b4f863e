/**
 * kubectl 1.32 changes a classroom through its API server: apply (client-side and --server-side),
 * create (protobuf bodies), scale, patch (merge, strategic, JSON), delete with the ReplicaSet
 * replacing the pod, preconditions, a student's forbidden write, auth can-i, a server dry run that writes nothing,
 * drain; and client-node creates
 * a Deployment the game schedules, meets a 409 on a stale update, and deletes a collection.
 * Each change lands in the request log, attributed and marked kubectl.
 */
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPodReady } from '@shared/model';
import type { RunningServer } from '../app';
import type { Classroom } from '../cluster/testing/cluster-client';
import { waitFor } from '../testing/wait';
import type { Kubectl } from './testing/kubectl';
import { kubectlClassroom, type KubectlClassroom } from './testing/kubectl-classroom';

let setup: KubectlClassroom;
let server: RunningServer;
let classroom: Classroom;
let kubectl: Kubectl;
let ada: Kubectl;

const manifest = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: ${image}
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080}]
`;

beforeAll(async () => {
  setup = await kubectlClassroom('kubectl-write', { students: { ada: 'kubelet:node-1', sam: 'scheduler' }, body: { nodes: 2 }, then: 'play' });
  ({ server, classroom, kubectl } = setup);
  ada = await setup.student('ada');
}, 60_000);

afterAll(() => setup?.close());

const store = () => server.cluster.runtime.store;
const requests = async () => store().readRequestLog(classroom.id, 2000);

describe('kubectl writes', () => {
  it('apply -f creates, re-applies unchanged, and configures a changed image keeping the fields it did not change', async () => {
    const file = path.join(path.dirname(kubectl.kubeconfig), 'app.yaml');
    writeFileSync(file, manifest('nginx:1.27'));
    expect(await kubectl.run('apply', '-f', file)).toMatchObject({ stdout: 'deployment.apps/api created\nservice/api created\n', stderr: '', code: 0 });
    expect((await kubectl.run('apply', '-f', file)).stdout).toBe('deployment.apps/api unchanged\nservice/api unchanged\n');
    writeFileSync(file, manifest('nginx:1.28'));
    expect((await kubectl.run('apply', '-f', file)).stdout).toBe('deployment.apps/api configured\nservice/api unchanged\n');
    const deployment = await store().get(classroom.id, { kind: 'Deployment', name: 'api' });
    expect(deployment.spec.template.spec.containers).toEqual([{ name: 'api', image: 'nginx:1.28', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 8080, protocol: 'TCP' }] }]);
    // The request log names the person and marks the requests kubectl's.
    const log = (await requests()).filter((r) => r.via === 'kubectl' && r.outcome === 'accepted').map((r) => `${r.actorName} ${r.verb} ${r.target}`);
    expect(log).toEqual(['Instructor create deployments/api', 'Instructor create services/api', 'Instructor patch deployments/api']);
  });

  it('apply --server-side, scale, and patch (merge, strategic and JSON)', async () => {
    const file = path.join(path.dirname(kubectl.kubeconfig), 'app.yaml');
    writeFileSync(file, manifest('nginx:1.29'));
    expect((await kubectl.run('apply', '--server-side', '-f', file)).stdout).toBe('deployment.apps/api serverside-applied\nservice/api serverside-applied\n');
    expect((await kubectl.run('scale', 'deployment', 'web', '--replicas=5')).stdout).toBe('deployment.apps/web scaled\n');
    expect((await kubectl.run('patch', 'deployment', 'api', '--type=merge', '-p', '{"metadata":{"labels":{"tier":"backend"}}}')).stdout).toBe('deployment.apps/api patched\n');
    expect((await kubectl.run('patch', 'deployment', 'api', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"api","image":"nginx:1.30"}]}}}}')).stdout).toBe('deployment.apps/api patched\n');
    expect((await kubectl.run('patch', 'deployment', 'api', '--type=json', '-p', '[{"op":"add","path":"/metadata/labels/team","value":"blue"},{"op":"test","path":"/spec/replicas","value":2}]')).stdout).toBe(
      'deployment.apps/api patched\n',
    );
    // A JSON patch that does not apply changes nothing (422).
    expect(await kubectl.run('patch', 'deployment', 'api', '--type=json', '-p', '[{"op":"remove","path":"/metadata/labels/team"},{"op":"replace","path":"/spec/paused/x","value":1}]')).toMatchObject({
      stderr: 'The request is invalid: replace operation does not apply: doc is missing path: /spec/paused/x\n',
      code: 1,
    });
    const deployment = await store().get(classroom.id, { kind: 'Deployment', name: 'api' });
    expect([deployment.spec.replicas, deployment.metadata.labels, deployment.spec.template.spec.containers[0]?.image, deployment.spec.template.spec.containers[0]?.ports]).toEqual([
      2,
      { tier: 'backend', team: 'blue' },
      'nginx:1.30',
      [{ containerPort: 8080, protocol: 'TCP' }],
    ]);
    // The game's controllers follow: five pods of web come up.
    await waitFor(async () => (await store().list(classroom.id, 'Pod')).items.filter((p) => p.metadata.labels?.['app'] === 'web' && isPodReady(p)).length === 5, {
      what: 'five web pods Ready',
      timeoutMs: 60_000,
      intervalMs: 200,
    });
  }, 90_000);

  it('create deployment and create service (kubectl sends these as protobuf): the game schedules the pod', async () => {
    expect(await kubectl.run('create', 'deployment', 'shop', '--image=nginx')).toMatchObject({ stdout: 'deployment.apps/shop created\n', code: 0 });
    expect(await kubectl.run('create', 'service', 'clusterip', 'shop', '--tcp=80:8080')).toMatchObject({ stdout: 'service/shop created\n', code: 0 });
    const service = await store().get(classroom.id, { kind: 'Service', name: 'shop' });
    expect(service.spec).toMatchObject({ type: 'ClusterIP', selector: { app: 'shop' }, ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }] });
    expect((await kubectl.run('get', 'service', 'shop')).stdout.split('\n')[1]?.split(/\s+/).slice(0, 5)).toEqual(['shop', 'ClusterIP', service.spec.clusterIP ?? '<none>', '<none>', '80/TCP']);
    await waitFor(async () => (await store().list(classroom.id, 'Pod')).items.some((p) => p.metadata.labels?.['app'] === 'shop' && p.spec.nodeName), {
      what: 'the shop pod scheduled',
      timeoutMs: 60_000,
      intervalMs: 200,
    });
  }, 90_000);

  it('delete pod: kubectl waits until it is gone, and the ReplicaSet replaces it', async () => {
    const before = (await store().list(classroom.id, 'Pod')).items.filter((p) => p.metadata.labels?.['app'] === 'web');
    const victim = before[0]?.metadata.name ?? '';
    expect(await kubectl.run('delete', 'pod', victim)).toMatchObject({ stdout: `pod "${victim}" deleted\n`, code: 0 });
    await waitFor(
      async () => {
        const pods = (await store().list(classroom.id, 'Pod')).items.filter((p) => p.metadata.labels?.['app'] === 'web');
        return pods.length === 5 && !pods.some((p) => p.metadata.name === victim) && pods.every(isPodReady);
      },
      { what: 'the ReplicaSet to replace the pod', timeoutMs: 60_000, intervalMs: 200 },
    );
  }, 90_000);

  it('refuses a delete whose precondition names another version (409), and an unknown propagationPolicy or dryRun value (422, DeleteOptions invalid)', async () => {
    const config = new KubeConfig();
    config.loadFromFile(kubectl.kubeconfig);
    const server = config.getCurrentCluster()?.server ?? '';
    const del = (body: object) => fetch(`${server}/api/v1/namespaces/default/services/api`, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const stale = await del({ preconditions: { resourceVersion: '1' } });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { message: string }).message).toMatch(/^Operation cannot be fulfilled on services "api": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: \d+$/);
    // apimachinery pkg/apis/meta/v1/validation/validation.go ValidateDeleteOptions, answered by apiserver endpoints/handlers/delete.go as errors.NewInvalid.
    const invalid = async (body: object) => {
      const res = await del(body);
      return [res.status, ((await res.json()) as { message: string }).message];
    };
    expect(await invalid({ propagationPolicy: 'Sometimes' })).toEqual([422, 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sometimes": supported values: "Foreground", "Background", "Orphan", "nil"']);
    expect(await invalid({ dryRun: ['true'] })).toEqual([422, 'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"true"}: supported values: "All"']);
    expect(await invalid({ propagationPolicy: 'Sometimes', dryRun: ['All', 'None'] })).toEqual([
      422,
      'DeleteOptions.meta.k8s.io "" is invalid: [propagationPolicy: Unsupported value: "Sometimes": supported values: "Foreground", "Background", "Orphan", "nil", dryRun: Unsupported value: []string{"All", "None"}: supported values: "All"]',
    ]);
    expect((await kubectl.run('delete', 'service', 'api')).stdout).toBe('service "api" deleted\n');
  });

  it('delete --cascade=orphan passes propagationPolicy Orphan: the Deployment goes, its ReplicaSet and pods stay, no longer owned', { timeout: 60_000 }, async () => {
    const replicaSets = async () => (await store().list(classroom.id, 'ReplicaSet')).items.filter((r) => r.metadata.labels?.['app'] === 'api');
    const owned = await replicaSets();
    expect(owned.length).toBeGreaterThan(0);
    // kubectl waits until the Deployment is gone: the garbage collector (the controller-manager bot,
    // on its turn among the controllers) has removed the ReplicaSets' references, then the orphan
    // finalizer. Its answer within the helper's 30 s (ten simulated minutes at 20x) is the outcome.
    expect(await kubectl.run('delete', 'deployment', 'api', '--cascade=orphan')).toEqual({ stdout: 'deployment.apps "api" deleted\n', stderr: '', code: 0 });
    expect((await kubectl.run('get', 'deploy', 'api')).stderr).toBe('Error from server (NotFound): deployments.apps "api" not found\n');
    const orphans = await replicaSets();
    expect([orphans.map((r) => r.metadata.name), orphans.map((r) => r.metadata.ownerReferences ?? [])]).toEqual([owned.map((r) => r.metadata.name), owned.map(() => [])]);
  });

  it('refuses a student\'s write with Kubernetes\' Forbidden wording, and logs it refused', async () => {
    const { stderr, code } = await ada.run('scale', 'deployment', 'web', '--replicas=1');
    expect([stderr, code]).toEqual([
      'Error from server (Forbidden): deployments.apps "web" is forbidden: User "ada" cannot patch resource "deployments/scale" in API group "apps" in the namespace "default": a kubelet writes only the status of the pods on its own node node-1 and its own Lease kube-node-lease/node-1\n',
      1,
    ]);
    // A create names no object: the authorizer's message names the resource only.
    expect((await ada.run('create', 'deployment', 'mine', '--image=nginx')).stderr).toBe(
      'error: failed to create deployment: deployments.apps is forbidden: User "ada" cannot create resource "deployments" in API group "apps" in the namespace "default": a kubelet writes only the status of the pods on its own node node-1 and its own Lease kube-node-lease/node-1\n',
    );
    const refused = (await requests()).filter((r) => r.actorName === 'ada' && r.via === 'kubectl');
    expect(refused.map((r) => [r.verb, r.target, r.outcome, r.code])).toEqual([
      ['patch', 'deployments/web/scale', 'refused', 'Forbidden'],
      ['create', 'deployments/mine', 'refused', 'Forbidden'],
    ]);
    // Reading is every member's right.
    expect((await ada.run('get', 'deploy', 'web', '-o', 'name')).stdout).toBe('deployment.apps/web\n');
  });

  it('auth can-i answers from the same rules: the instructor yes, a kubelet no but yes to reading', async () => {
    expect(await kubectl.run('auth', 'can-i', 'create', 'deployments')).toMatchObject({ stdout: 'yes\n', code: 0 });
    expect(await ada.run('auth', 'can-i', 'create', 'deployments')).toMatchObject({ stdout: 'no\n', code: 1 });
    expect(await ada.run('auth', 'can-i', 'list', 'pods')).toMatchObject({ stdout: 'yes\n', code: 0 });
    const onNode1 = (await store().list(classroom.id, 'Pod')).items.find((p) => p.spec.nodeName === 'node-1');
    expect((await ada.run('auth', 'can-i', 'update', `pods/${onNode1?.metadata.name ?? ''}`, '--subresource=status')).stdout).toBe('yes\n');
  });

  // A SelfSubjectReview echoes the authenticated user (pkg/registry/authentication/selfsubjectreview/rest.go:
  // status.userInfo is the request's user, its username, uid, groups and extra).
  it('auth whoami names the member, their place in the classroom and the role they play', async () => {
    const lines = (out: string) => out.trim().split('\n').map((line) => line.split(/\s{2,}/));
    const student = await ada.run('auth', 'whoami');
    expect(student.code).toBe(0);
    expect(lines(student.stdout)).toEqual([
      ['ATTRIBUTE', 'VALUE'],
      ['Username', 'ada'],
      ['UID', setup.classroom.students.get('ada')?.studentId],
      ['Groups', '[clusterplay:students system:authenticated]'],
      ['Extra: clusterplay.dev/role', '[kubelet:node-1]'],
    ]);
    const instructor = await kubectl.run('auth', 'whoami', '-o', 'json');
    expect(JSON.parse(instructor.stdout)).toMatchObject({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
      status: { userInfo: { groups: ['clusterplay:instructors', 'system:authenticated'] } },
    });
  });

  it('carries out a server dry run without writing: kubectl prints what would be done, the answer is the object as it would be stored, no watch event', async () => {
    const web = async () => (await store().list(classroom.id, 'Pod')).items.filter((p) => p.metadata.labels?.['app'] === 'web' && !p.metadata.deletionTimestamp);
    const victim = (await web())[0]?.metadata.name ?? '';
    const replicas = (await store().get(classroom.id, { kind: 'Deployment', name: 'web' })).spec.replicas;
    const { resourceVersion } = await store().list(classroom.id, 'Pod');
    const seen: string[] = [];
    const stop = await store().watch(classroom.id, resourceVersion, (events) => {
      for (const e of events) seen.push(`${e.type} ${e.object.kind}/${e.object.metadata.name}${e.object.metadata.labels?.['dry'] ? ' dry' : ''}`);
    });
    try {
      expect(await kubectl.run('delete', 'pod', victim, '--dry-run=server')).toEqual({ stdout: `pod "${victim}" deleted (server dry run)\n`, stderr: '', code: 0 });
      expect(await kubectl.run('scale', 'deployment', 'web', '--replicas=1', '--dry-run=server')).toEqual({ stdout: 'deployment.apps/web scaled (server dry run)\n', stderr: '', code: 0 });
      expect(await kubectl.run('label', 'node', 'node-1', 'dry=yes', '--dry-run=server')).toEqual({ stdout: 'node/node-1 labeled (server dry run)\n', stderr: '', code: 0 });
      expect(await kubectl.run('create', 'deployment', 'dry', '--image=nginx', '--dry-run=server')).toEqual({ stdout: 'deployment.apps/dry created (server dry run)\n', stderr: '', code: 0 });
      // The answer is the object admission made: defaulted, with a uid, and no resourceVersion (it is not stored).
      const created = JSON.parse((await kubectl.run('create', 'deployment', 'dry', '--image=nginx', '--dry-run=server', '-o', 'json')).stdout) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
      expect(created.metadata['uid']).toEqual(expect.any(String));
      expect(created.metadata['resourceVersion']).toBeUndefined();
      expect(created.spec).toMatchObject({ replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 });
      // Validated and admitted as any write: a name taken, a role without the permission.
      expect(await kubectl.run('create', 'deployment', 'web', '--image=nginx', '--dry-run=server')).toEqual({ stdout: '', stderr: 'error: failed to create deployment: deployments.apps "web" already exists\n', code: 1 });
      expect((await ada.run('delete', 'pod', victim, '--dry-run=server')).stderr).toMatch(/^Error from server \(Forbidden\): pods ".+" is forbidden: User "ada" cannot delete resource "pods"/);
      expect((await web()).map((p) => p.metadata.name)).toContain(victim);
      expect((await store().get(classroom.id, { kind: 'Deployment', name: 'web' })).spec.replicas).toBe(replicas);
      expect((await store().get(classroom.id, { kind: 'Node', name: 'node-1' })).metadata.labels?.['dry']).toBeUndefined();
      expect((await store().list(classroom.id, 'Deployment')).items.map((d) => d.metadata.name)).not.toContain('dry');
    } finally {
      stop();
    }
    // The bots kept playing meanwhile; none of their changes is one of the dry runs.
    expect(seen.filter((e) => e.includes(`Pod/${victim}`) && e.startsWith('DELETED'))).toEqual([]);
    expect(seen.filter((e) => e.endsWith(' dry') || e.includes('Deployment/dry'))).toEqual([]);
    const log = (await requests()).filter((e) => e.via === 'kubectl' && e.message.endsWith('(dry run)'));
    expect(log.map((e) => [e.verb, e.target, e.outcome])).toEqual([
      ['delete', `pods/${victim}`, 'accepted'],
      ['patch', 'deployments/web/scale', 'accepted'],
      ['patch', 'nodes/node-1', 'accepted'],
      ['create', 'deployments/dry', 'accepted'],
      ['create', 'deployments/dry', 'accepted'],
    ]);
  });

  it('drain cordons the node and deletes its pods (kubectl sends their DeleteOptions as protobuf); the ReplicaSet puts them back elsewhere', { timeout: 90_000 }, async () => {
    const onNode2 = async () => (await store().list(classroom.id, 'Pod')).items.filter((p) => p.spec.nodeName === 'node-2');
    const drained = (await onNode2()).map((p) => p.metadata.name);
    expect(drained.length).toBeGreaterThan(0);
    const { stdout, stderr, code } = await kubectl.run('drain', 'node-2', '--ignore-daemonsets');
    expect([stderr, code]).toEqual(['', 0]);
    expect(stdout.split('\n').filter(Boolean).sort()).toEqual(['node/node-2 cordoned', 'node/node-2 drained', ...drained.map((name) => `pod/${name} deleted`)].sort());
    expect(await onNode2()).toEqual([]);
    expect((await store().get(classroom.id, { kind: 'Node', name: 'node-2' })).spec.unschedulable).toBe(true);
    await waitFor(async () => (await store().list(classroom.id, 'Pod')).items.filter((p) => p.metadata.labels?.['app'] === 'web' && isPodReady(p)).length === 5, {
      what: 'the ReplicaSet to replace the drained pods on node-1',
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    expect((await kubectl.run('uncordon', 'node-2')).stdout).toBe('node/node-2 uncordoned\n');
  });
});

describe('@kubernetes/client-node', () => {
  // kubectl sends dryRun=All only; a client library passes whatever it is given (dryRun: 'true' is the usual slip).
  it('a dryRun other than All is refused 422 with the options the handler validates (CreateOptions, PatchOptions), nothing written; All is a dry run', async () => {
    const config = new KubeConfig();
    config.loadFromFile(kubectl.kubeconfig);
    const core = config.makeApiClient(CoreV1Api);
    const refused = async (call: Promise<unknown>) => {
      const error = await call.then(() => undefined, (e: unknown) => e);
      const status = JSON.parse((error as { body: string }).body) as { code: number; reason: string; message: string; details: unknown };
      return [(error as { code: number }).code, status];
    };
    const body = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'dry-pod' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } };
    // apimachinery pkg/apis/meta/v1/validation/validation.go ValidateDryRun, answered by apiserver endpoints/handlers/create.go and patch.go as errors.NewInvalid.
    expect(await refused(core.createNamespacedPod({ namespace: 'default', body, dryRun: 'true' }))).toEqual([
      422,
      {
        kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Invalid', code: 422,
        message: 'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"true"}: supported values: "All"',
        details: { group: 'meta.k8s.io', kind: 'CreateOptions', causes: [{ reason: 'FieldValueNotSupported', message: 'Unsupported value: []string{"true"}: supported values: "All"', field: 'dryRun' }] },
      },
    ]);
    expect(await refused(core.patchNode({ name: 'node-1', body: [{ op: 'add', path: '/metadata/labels/dry', value: 'no' }], dryRun: 'Server' }))).toEqual([
      422,
      expect.objectContaining({ message: 'PatchOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Server"}: supported values: "All"' }),
    ]);
    expect((await core.createNamespacedPod({ namespace: 'default', body, dryRun: 'All' })).metadata?.name).toBe('dry-pod');
    expect((await store().list(classroom.id, 'Pod')).items.map((p) => p.metadata.name)).not.toContain('dry-pod');
    expect((await store().get(classroom.id, { kind: 'Node', name: 'node-1' })).metadata.labels?.['dry']).toBeUndefined();
  });

  it('creates a Deployment whose pods the game schedules, and gets 409 on a stale update', async () => {
    const config = new KubeConfig();
    config.loadFromFile(kubectl.kubeconfig);
    const apps = config.makeApiClient(AppsV1Api);
    const core = config.makeApiClient(CoreV1Api);
    const body: V1Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'cache' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'cache' } }, template: { metadata: { labels: { app: 'cache' } }, spec: { containers: [{ name: 'cache', image: 'redis:7' }] } } },
    };
    const created = await apps.createNamespacedDeployment({ namespace: 'default', body });
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    await waitFor(async () => (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=cache' })).items.find((p) => p.spec?.nodeName), {
      what: 'the cache pod scheduled to a node',
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    // The game's controllers have written the Deployment since (its status): the version create returned is stale.
    const stale = { ...created, spec: { ...body.spec, replicas: 2 } } as V1Deployment;
    const error = await apps.replaceNamespacedDeployment({ name: 'cache', namespace: 'default', body: stale }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 409 });
    expect(JSON.parse((error as { body: string }).body)).toMatchObject({ kind: 'Status', reason: 'Conflict', message: 'Operation cannot be fulfilled on deployments.apps "cache": the object has been modified; please apply your changes to the latest version and try again' });
    // deletecollection: the selected pods are deleted, and the ReplicaSet makes another.
    const [first] = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=cache' })).items;
    const deleted = await core.deleteCollectionNamespacedPod({ namespace: 'default', labelSelector: 'app=cache' });
    // The answer is the list of what was deleted, as the API server answers (client-node reads it as a V1Status).
    expect(deleted).toMatchObject({ kind: 'PodList' });
    await waitFor(async () => (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=cache' })).items.some((p) => p.metadata?.name !== first?.metadata?.name), {
      what: 'the ReplicaSet to replace the deleted cache pod',
      timeoutMs: 60_000,
      intervalMs: 200,
    });
  }, 120_000);
});
