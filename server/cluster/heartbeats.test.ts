/**
 * The kubelets' heartbeats of a classroom (issue 14, scale in one classroom): every node Lease due
 * at a beat is renewed by one commit, each Lease still its own resourceVersion and log entry (so its
 * own watch event) by its node's kubelet, `system:node:<node>`; a node whose kubelet the instructor
 * stopped is left out, so the node lifecycle controller sees its silence.
 */
import { expect, inject, test } from 'vitest';
import { NODE_LEASE_NAMESPACE } from '@shared/model';
import { getObject } from '@shared/protocol/watch-reducer';
import { monitorScripts } from '../testing/script-monitor';
import { waitFor } from '../testing/wait';
import { classroomWith } from './testing/cluster-client';
import { suiteServer, WIDE_SOCKET_BUDGET } from './testing/suite-server';

const suite = suiteServer('heartbeats', WIDE_SOCKET_BUDGET);
const NODES = ['node-1', 'node-2', 'node-3'];

test("one commit renews every due node's Lease, each its own version and watch event by its kubelet; a stopped kubelet's node is left out", { timeout: 90_000 }, async () => {
  const classroom = await classroomWith(suite.server.url, [], { nodes: NODES.length });
  const instructor = await suite.connect(classroom.instructorToken);
  const keys = suite.server.cluster.store.keys(classroom.id);
  const leaseField = (node: string): string => `${NODE_LEASE_NAMESPACE}/${node}`;
  const scripts = await monitorScripts(inject('redisUrl'));
  /** The Lease renewals of each script run of this classroom: the Leases it wrote, its INCRBY, and its log entries' versions and actors. */
  const renewals = (from = 0) =>
    scripts
      .runs()
      .slice(from)
      .map((run) => ({
        leases: run.filter(([command, key]) => command === 'hset' && key === keys.objects('Lease')).map(([, , field]) => field),
        incrby: run.filter(([command, key]) => command === 'incrby' && key === keys.rv).map(([, , by]) => Number(by)),
        entries: run.filter(([command, key]) => command === 'xadd' && key === keys.log).map((words) => [words[5], words[words.indexOf('actor') + 1]]),
      }))
      .filter((run) => run.leases.length);
  try {
    // Time scale 10: a Lease is renewed every simulated 10 s, one wall second; bots play every seat.
    for (const action of [{ kind: 'setTimeScale', timeScale: 10 }, { kind: 'start' }] as const) expect(await instructor.instructor(action)).toMatchObject({ ok: true });
    const all = await waitFor(() => renewals().find((run) => run.leases.length === NODES.length), { what: "a commit renewing the three nodes' Leases", timeoutMs: 30_000, intervalMs: 100 });
    expect(all.leases).toEqual(NODES.map(leaseField));
    // Three versions taken at once, three log entries (three watch events), each by its node's kubelet.
    expect(all.incrby).toEqual([NODES.length]);
    const first = Number(all.entries[0]?.[0]?.replace(/-0$/, ''));
    expect(all.entries).toEqual(NODES.map((node, i) => [`${first + i}-0`, `system:node:${node}`]));
    // The class sees each Lease at its own version.
    await instructor.reached(String(first + NODES.length - 1));
    expect(NODES.map((node) => getObject(instructor.state, 'Lease', node, NODE_LEASE_NAMESPACE)?.metadata.resourceVersion)).toEqual(NODES.map((_, i) => String(first + i)));

    expect(await instructor.instructor({ kind: 'fault', fault: { type: 'stopKubelet', node: 'node-2' } })).toMatchObject({ ok: true });
    const stoppedAt = scripts.runs().length;
    // A beat under way when the fault came may still renew node-2: the second one after it may not.
    const after = await waitFor(
      () => {
        const runs = renewals(stoppedAt).filter((run) => run.leases.includes(leaseField('node-1')));
        return runs.length >= 2 && runs;
      },
      { what: 'two heartbeats after node-2 stopped', timeoutMs: 30_000, intervalMs: 100 },
    );
    const last = after.at(-1);
    expect([last?.leases, last?.incrby, last?.entries.map(([, actor]) => actor)]).toEqual([
      [leaseField('node-1'), leaseField('node-3')],
      [2],
      ['system:node:node-1', 'system:node:node-3'],
    ]);
  } finally {
    await scripts.close();
  }
});
