/** A classroom of students whose round the bots have played up to a Ready, programmed Deployment (bench load, bench scale). */
import { assignRoles, classroomWith, connectCluster, type ClusterClient } from '../server/cluster/testing/cluster-client';
import { roundDone } from '../server/cluster/testing/players';
import { waitFor } from '../server/testing/wait';

export interface Room {
  proxy: ClusterClient;
  clients: ClusterClient[];
}

/** One classroom of students (one of them the kube-proxy), its round played up by the bots; member i connects to urls[i % urls.length]. */
export async function classroom(urls: string[], index: number, size: number): Promise<Room> {
  const url = (i: number) => urls[(index + i) % urls.length] ?? '';
  const names = Array.from({ length: size }, (_, i) => `c${index}-s${i + 1}`);
  const created = await classroomWith(url(0), names);
  const instructor = await connectCluster(url(0), created.instructorToken);
  await assignRoles(instructor, created, { [names[0] ?? '']: 'kube-proxy:node-1' });
  // Ten at a time: a whole batch of classrooms connecting at once starves a loaded machine.
  const students: ClusterClient[] = [];
  for (let i = 0; i < names.length; i += 10) {
    const chunk = names.slice(i, i + 10);
    students.push(...(await Promise.all(chunk.map((n, j) => connectCluster(url(i + j + 1), created.students.get(n)?.token ?? '')))));
  }
  for (const action of [{ kind: 'setTimeScale', timeScale: 20 }, { kind: 'setBotPace', secondsPerAction: 1 }, { kind: 'start' }] as const) await instructor.instructor(action);
  const proxy = students[0] as ClusterClient;
  await waitFor(
    async () => {
      await proxy.act({ kind: 'syncProxyRules', node: 'node-1', service: 'web' });
      return roundDone(instructor.state);
    },
    { what: `classroom ${index}'s round`, timeoutMs: 300_000, intervalMs: 500 },
  );
  for (const action of [{ kind: 'setTimeScale', timeScale: 1 }, { kind: 'setBotPace', secondsPerAction: 5 }] as const) await instructor.instructor(action);
  return { proxy, clients: [instructor, ...students] };
}
