/**
 * kubectl for a student of a class split into groups (issue 11): the token the class issued now
 * seats its holder in a group, so the kubeconfig downloaded from the class's URL (the only one the
 * student knows) reaches the group's cluster, with the role the student plays there; a kubeconfig
 * downloaded before the split follows the student into the group and back to the class when the
 * groups are dissolved. Each group's nodes carry a label only its own instructor wrote, so the
 * cluster kubectl reaches is plain to see.
 */
import { CoreV1Api, KubeConfig, ListWatch, Watch, type V1Node } from '@kubernetes/client-node';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, inject, it, onTestFinished } from 'vitest';
import type { RunningServer } from '../app';
import { classroomWith, type Classroom } from '../cluster/testing/cluster-client';
import { startTestServer } from '../testing/test-server';
import { waitFor } from '../testing/wait';
import { columns, kubectlFor, type Kubectl } from './testing/kubectl';

let server: RunningServer;
let klass: Classroom;
const kubectls: Kubectl[] = [];

interface SplitGroup {
  id: string;
  name: string;
  instructorToken: string;
  members: { id: string; name: string }[];
}

const ENV = { JOIN_RATE_LIMIT: '100000', REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-kubectl-groups` };

beforeAll(async () => {
  server = await startTestServer(ENV);
  klass = await classroomWith(server.url, ['ana', 'ben'], { title: 'Period 3' });
}, 60_000);

afterAll(async () => {
  for (const k of kubectls) k.dispose();
  await server?.close();
});

const kubectl = async (classroomId: string, token: string): Promise<Kubectl> => {
  const k = await kubectlFor(server.url, classroomId, token);
  kubectls.push(k);
  return k;
};
const tokenOf = (name: string): string => klass.students.get(name)?.token ?? '';
const NODES = ['node-1', 'node-2', 'node-3'];
const BY_GROUP = ['get', 'nodes', '-o', 'custom-columns=NAME:.metadata.name,GROUP:.metadata.labels.group'];
const groupLabels = (group: string): string => columns([['NAME', 'GROUP'], ...NODES.map((node) => [node, group])]);

it('a grouped student’s kubeconfig, from the class’s URL, reaches their group’s cluster as their group role; an older one follows them there and back', { timeout: 90_000 }, async () => {
  const before = await kubectl(klass.id, tokenOf('ana'));
  const split = await fetch(`${server.url}/api/classrooms/${klass.id}/groups`, {
    method: 'POST',
    headers: { authorization: `Bearer ${klass.instructorToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ groups: 2, scenario: 'node-dies', seed: 7 }),
  });
  expect(split.status).toBe(201);
  const [a, b] = ((await split.json()) as { groups: SplitGroup[] }).groups;
  if (!a || !b) throw new Error('two groups expected');
  expect([a.members.map((m) => m.name), b.members.map((m) => m.name)]).toEqual([['ana'], ['ben']]);
  // Each group's instructor marks its own nodes (a write only the instructor may make), warned that its round waits for its start.
  for (const [group, label] of [[a, 'a'], [b, 'b']] as const) {
    const lead = await kubectl(group.id, group.instructorToken);
    expect(await lead.run('label', 'nodes', '--all', `group=${label}`)).toMatchObject({ code: 0, stderr: 'Warning: the round has not started: nothing in the cluster will act on this change until the instructor starts it\n' });
  }

  // The class's URL with the class's token: the group's cluster, in a context named after the group.
  const ana = await kubectl(klass.id, tokenOf('ana'));
  const ben = await kubectl(klass.id, tokenOf('ben'));
  expect(await ana.run('config', 'current-context')).toEqual({ stdout: 'period-3-group-a\n', stderr: '', code: 0 });
  expect(await ana.run(...BY_GROUP)).toEqual({ stdout: groupLabels('a'), stderr: '', code: 0 });
  expect(await ben.run(...BY_GROUP)).toEqual({ stdout: groupLabels('b'), stderr: '', code: 0 });
  // The kubeconfig she had before the split now reaches her group too.
  expect((await before.run(...BY_GROUP)).stdout).toBe(groupLabels('a'));

  // She acts as the scheduler her group made her (in the class itself she has no role yet).
  expect((await server.cluster.groups.compare(klass.id)).flatMap((g) => g.members).find((m) => m.name === 'ana')?.role).toBe('scheduler');
  expect(await ana.run('scale', 'deployment', 'web', '--replicas=5')).toEqual({
    stdout: '',
    stderr: 'Error from server (Forbidden): deployments.apps "web" is forbidden: User "ana" cannot patch resource "deployments/scale" in API group "apps" in the namespace "default": the scheduler only binds pods to nodes (pods/binding)\n',
    code: 1,
  });

  // Another class's student cannot borrow the URL.
  const stranger = await classroomWith(server.url, ['eve']);
  const refused = await fetch(`${server.url}/api/classrooms/${klass.id}/kubeconfig`, { headers: { authorization: `Bearer ${stranger.students.get('eve')?.token ?? ''}` } });
  expect([refused.status, await refused.json()]).toEqual([403, { code: 'Forbidden', message: 'this token belongs to another classroom' }]);

  // Dissolved: the same kubeconfigs reach the class's own cluster again (no group label there).
  const dissolved = await fetch(`${server.url}/api/classrooms/${klass.id}/groups`, { method: 'DELETE', headers: { authorization: `Bearer ${klass.instructorToken}` } });
  expect(dissolved.status).toBe(200);
  for (const k of [ana, before]) {
    expect((await k.run(...BY_GROUP)).stdout).toBe(groupLabels('<none>'));
  }
});

it('a watch opened before the split ends there with 410 saying why (kubectl get -w prints it and exits 0; an informer lists again) and finds the group’s cluster by the same token; the dissolve ends it again; on another server process than the split’s', { timeout: 90_000 }, async () => {
  const klass2 = await classroomWith(server.url, ['cleo', 'dan'], { title: 'Period 5' });
  // Cleo's kubectl talks to a second process on the same Redis; the instructor splits through the first.
  const other = await startTestServer(ENV);
  onTestFinished(() => other.close());
  const res = await fetch(`${other.url}/api/classrooms/${klass2.id}/kubeconfig`, { headers: { authorization: `Bearer ${klass2.students.get('cleo')?.token ?? ''}` } });
  expect(res.status).toBe(200);
  const cleo = await kubectl(klass2.id, klass2.students.get('cleo')?.token ?? '');
  writeFileSync(cleo.kubeconfig, await res.text());
  const instructor = await kubectl(klass2.id, klass2.instructorToken);
  const WATCH = ['get', 'nodes', '-w', '-v=6', '-L', 'group'];
  const watching = (w: Started) => waitFor(() => /GET \S+\/nodes\?resourceVersion=\d+&watch=true 200 OK/.test(w.err()), { what: 'kubectl to start watching', timeoutMs: 20_000 });
  const exited = (w: Started) => waitFor(() => w.child.exitCode ?? undefined, { what: 'kubectl get -w to exit', timeoutMs: 20_000 });
  // What kubectl says besides its -v=6 request lines.
  const said = (w: Started) => w.err().split('\n').filter((line) => line !== '' && !/^I\d{4} /.test(line));
  // client-node's informer with the same kubeconfig, as a student's own tool would hold the nodes.
  const config = new KubeConfig();
  config.loadFromFile(cleo.kubeconfig);
  const core = config.makeApiClient(CoreV1Api);
  const informer = new ListWatch<V1Node>('/api/v1/nodes', new Watch(config), () => core.listNode(), false);
  const uidsOf = async (classroomId: string) => (await server.cluster.store.list(classroomId, 'Node')).items.map((n) => n.metadata.uid).sort();
  const held = () => informer.list().map((n) => n.metadata?.uid).sort();

  const before = cleo.start(...WATCH);
  // The instructor's watch of the class: an instructor is never moved, so it stays open throughout.
  const teacher = instructor.start(...WATCH);
  try {
    await informer.start();
    await Promise.all([watching(before), watching(teacher)]);
    expect(before.err()).toContain(`GET ${other.url}/k8s/`);
    expect(held()).toEqual(await uidsOf(klass2.id));

    const split = await fetch(`${server.url}/api/classrooms/${klass2.id}/groups`, {
      method: 'POST',
      headers: { authorization: `Bearer ${klass2.instructorToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ groups: 2, scenario: 'node-dies', seed: 7 }),
    });
    expect(split.status).toBe(201);
    const [a] = ((await split.json()) as { groups: SplitGroup[] }).groups;
    if (!a) throw new Error('two groups expected');
    // kubectl prints the watch's last word, the 410 Status, and exits 0.
    expect(await exited(before)).toBe(0);
    expect(lastLines(before.out(), 2)).toBe(ended("the class was split into groups: your token now reaches your group's cluster, not this one; watch again to follow it there"));
    expect(said(before)).toEqual([]);
    // The informer listed again: it holds Group A's nodes now, and none of the class's.
    const groupNodes = await uidsOf(a.id);
    await waitFor(() => JSON.stringify(held()) === JSON.stringify(groupNodes), { what: "the informer to hold Group A's nodes", timeoutMs: 20_000 });

    // Run again with the same kubeconfig: the group's cluster, whose instructor labels its nodes meanwhile.
    const again = cleo.start(...WATCH);
    try {
      await watching(again);
      const lead = await kubectl(a.id, a.instructorToken);
      expect(await lead.run('label', 'nodes', 'node-1', 'group=a')).toMatchObject({ code: 0 });
      await waitFor(() => /^node-1\s.*\sa$/m.test(again.out()), { what: "the group's label in the new watch", timeoutMs: 20_000 });
      await waitFor(() => informer.get('node-1')?.metadata?.labels?.['group'] === 'a', { what: "the informer to follow Group A's change", timeoutMs: 20_000 });
      // Dissolved: the watch of the group ends too, and the informer is back on the class's cluster.
      expect(await call('DELETE', klass2.id, klass2.instructorToken)).toBe(200);
      expect(await exited(again)).toBe(0);
      expect(lastLines(again.out(), 2)).toBe(ended("the class's groups were brought back together: your token now reaches the class's cluster, not this one; watch again to follow it there"));
      expect(said(again)).toEqual([]);
      const classNodes = await uidsOf(klass2.id);
      await waitFor(() => JSON.stringify(held()) === JSON.stringify(classNodes), { what: "the informer to hold the class's nodes again", timeoutMs: 20_000 });
    } finally {
      again.child.kill();
    }
    expect(teacher.child.exitCode).toBeNull();
  } finally {
    await informer.stop();
    before.child.kill();
    teacher.child.kill();
  }
});

type Started = ReturnType<Kubectl['start']>;

const lastLines = (text: string, count: number): string => `${text.trimEnd().split('\n').slice(-count).join('\n')}\n`;

/** How kubectl get -w -L group prints an ERROR event's Status (the label column's header stays; the row has no cell for it). */
const ended = (message: string): string => `STATUS    REASON    MESSAGE   GROUP\nFailure   Expired   ${message}\n`;

const call = async (method: string, classroomId: string, token: string): Promise<number> =>
  (await fetch(`${server.url}/api/classrooms/${classroomId}/groups`, { method, headers: { authorization: `Bearer ${token}` } })).status;
