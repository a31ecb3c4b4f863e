/**
 * kubectl for a student of a class split into groups (issue 11): the token the class issued now
 * seats its holder in a group, so the kubeconfig downloaded from the class's URL (the only one the
 * student knows) reaches the group's cluster, with the role the student plays there; a kubeconfig
 * downloaded before the split follows the student into the group and back to the class when the
 * groups are dissolved. Each group's nodes carry a label only its own instructor wrote, so the
 * cluster kubectl reaches is plain to see.
 */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { RunningServer } from '../app';
import { classroomWith, type Classroom } from '../cluster/testing/cluster-client';
import { startTestServer } from '../testing/test-server';
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

beforeAll(async () => {
  server = await startTestServer({ JOIN_RATE_LIMIT: '100000', REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-kubectl-groups` });
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
  // Each group's instructor marks its own nodes (a write only the instructor may make).
  for (const [group, label] of [[a, 'a'], [b, 'b']] as const) {
    const lead = await kubectl(group.id, group.instructorToken);
    expect(await lead.run('label', 'nodes', '--all', `group=${label}`)).toMatchObject({ code: 0, stderr: '' });
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
