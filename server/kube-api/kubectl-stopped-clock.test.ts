/**
 * kubectl 1.32 is warned when it writes while the class's clock stands still: the write is stored
 * and nothing acts on it (a deleted pod waits for a kubelet that is frozen), so the answer carries
 * a `Warning: 299 - "<text>"` header, which kubectl prints on stderr as `Warning: <text>`
 * (k8s.io/apimachinery/pkg/util/net/http.go NewWarningHeader; client-go rest/warnings.go).
 * A write while the clock runs, a dry run, and a refused write carry none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../app';
import type { Classroom, ClusterClient } from '../cluster/testing/cluster-client';
import { waitFor } from '../testing/wait';
import type { Kubectl } from './testing/kubectl';
import { kubectlClassroom, type KubectlClassroom } from './testing/kubectl-classroom';

let setup: KubectlClassroom;
let server: RunningServer;
let classroom: Classroom;
let instructor: ClusterClient;
let kubectl: Kubectl;

beforeAll(async () => {
  setup = await kubectlClassroom('kubectl-stopped-clock', { body: { nodes: 1 }, then: 'play' });
  ({ server, classroom, instructor, kubectl } = setup);
}, 60_000);

afterAll(() => setup?.close());

const PAUSED = 'Warning: the class is paused: nothing in the cluster will act on this change until the instructor resumes it\n';
const webPods = async () => (await server.cluster.runtime.store.list(classroom.id, 'Pod')).items.filter((p) => p.metadata.labels?.['app'] === 'web');

describe('kubectl writes while the clock stands still', () => {
  it('a write while the class runs prints no warning; paused, a label and a delete are accepted with the warning, a dry run and a refusal without; resumed, the delete is carried out', async () => {
    expect(await kubectl.run('label', 'node', 'node-1', 'zone=a')).toEqual({ stdout: 'node/node-1 labeled\n', stderr: '', code: 0 });
    const victim = await waitFor(async () => (await webPods()).find((p) => p.spec.nodeName)?.metadata.name, { what: 'a scheduled web pod', timeoutMs: 30_000 });

    expect(await instructor.instructor({ kind: 'pause' })).toMatchObject({ ok: true });
    expect(await kubectl.run('label', 'node', 'node-1', 'zone=b', '--overwrite')).toEqual({ stdout: 'node/node-1 labeled\n', stderr: PAUSED, code: 0 });
    expect(await kubectl.run('delete', 'pod', victim, '--wait=false')).toEqual({ stdout: `pod "${victim}" deleted\n`, stderr: PAUSED, code: 0 });
    expect(await kubectl.run('label', 'node', 'node-1', 'zone=c', '--overwrite', '--dry-run=server')).toEqual({ stdout: 'node/node-1 labeled (server dry run)\n', stderr: '', code: 0 });
    expect(await kubectl.run('create', 'deployment', 'x', '--image=nginx', '-n', 'team-a')).toEqual({ stdout: '', stderr: 'error: failed to create deployment: namespaces "team-a" not found\n', code: 1 });
    // Frozen: the pod waits for its kubelet, as the warning said.
    expect((await webPods()).find((p) => p.metadata.name === victim)?.metadata.deletionTimestamp).toBeDefined();

    expect(await instructor.instructor({ kind: 'resume' })).toMatchObject({ ok: true });
    expect(await kubectl.run('label', 'node', 'node-1', 'zone=e', '--overwrite')).toEqual({ stdout: 'node/node-1 labeled\n', stderr: '', code: 0 });
    await waitFor(async () => !(await webPods()).some((p) => p.metadata.name === victim), { what: `pod ${victim} gone once the class resumed`, timeoutMs: 60_000, intervalMs: 200 });
  }, 120_000);
});
