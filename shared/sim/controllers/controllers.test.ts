import { describe, expect, test } from 'vitest';
import { isPodActive, isPodReady, makeDeployment, makePod, makeService, type Deployment, type Event, type Pod } from '@shared/model';
import { SimCluster } from '../cluster';
import { podTemplateHash, reconcileDeployments, rollback } from './deployment';
import { deletionOrder, generateName, reconcileReplicaSets } from './replicaset';
import { isApiRequest } from '../requests';
import { seededRng } from '../rng';
import { readyIPs } from './endpoints';
import { evictionSteps, reconcileNodeLifecycle } from './node-lifecycle';

const DISRUPTION_BY_TAINT = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' } as const;

function cluster(nodes = 3, seed = 1, onCommit?: ConstructorParameters<typeof SimCluster>[0]['onCommit']): SimCluster {
  const c = new SimCluster({ seed, ...(onCommit ? { onCommit } : {}) });
  for (let i = 1; i <= nodes; i++) c.addNode(`node-${i}`);
  return c;
}
const pods = (c: SimCluster): Pod[] => [...c.state.list('Pod')];
const deployment = (c: SimCluster, name = 'web'): Deployment | undefined => c.state.get('Deployment', `default/${name}`);

describe('ReplicaSet controller', () => {
  test('[ReplicaSet] creates pods named <replicaset>-<5 chars> owned by the ReplicaSet until replicas match', () => {
    const c = cluster();
    c.createObject(makeDeployment('web', { replicas: 3 }));
    c.runUntil(c.now + 1);
    const rs = [...c.state.list('ReplicaSet')][0];
    expect(pods(c)).toHaveLength(3);
    for (const p of pods(c)) {
      expect(p.metadata.name).toMatch(new RegExp(`^${rs?.metadata.name}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs?.metadata.name, uid: rs?.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    expect([...c.state.list('Event')].filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message?.startsWith('Created pod: '))).toEqual([true, true, true]);
  });

  test.each([
    ['a short base is kept whole', 'web-7d4b9c8f6-', 'web-7d4b9c8f6-'],
    ['a 58-character base is kept whole', `${'a'.repeat(57)}-`, `${'a'.repeat(57)}-`],
    ['a longer base is cut to 58 characters', `${'b'.repeat(70)}-`, 'b'.repeat(58)],
  ])('[SimpleNameGenerator] maxGeneratedNameLength = 63 - 5: %s', (_rule, base, prefix) => {
    const name = generateName(base, seededRng(1));
    expect(name.slice(0, -5)).toBe(prefix);
    expect(name.slice(-5)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(name.length).toBeLessThanOrEqual(63);
  });

  test('[ReplicaSet] scaling down deletes unscheduled, then pending, then not-ready pods before ready ones', () => {
    const base = (name: string, patch: Partial<Pod>): Pod => ({ ...makePod(name), ...patch, metadata: { name, namespace: 'default', creationTimestamp: '2026-11-25T10:00:00Z' } });
    const unscheduled = base('a', {});
    const pendingBound = base('b', { spec: { ...makePod('b').spec, nodeName: 'n' }, status: { phase: 'Pending' } });
    const running = base('c', { spec: { ...makePod('c').spec, nodeName: 'n' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } });
    const ready = base('d', { spec: { ...makePod('d').spec, nodeName: 'n' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
    expect([ready, running, pendingBound, unscheduled].sort(deletionOrder).map((p) => p.metadata.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  test('[ReplicaSet] a crashed-and-rejected (Failed) pod is replaced', () => {
    const c = cluster(1);
    c.createObject(makeDeployment('web', { replicas: 1 }));
    c.runUntil(c.now + 10_000);
    const p = pods(c)[0];
    if (!p) throw new Error('no pod');
    c.submit({ verb: 'updateStatus', kind: 'Pod', namespace: 'default', name: p.metadata.name, object: { ...p, status: { ...p.status, phase: 'Failed' } }, reason: 'test' });
    c.runUntil(c.now + 10_000);
    expect(pods(c).filter((x) => isPodActive(x) && isPodReady(x))).toHaveLength(1);
  });
});

describe('Deployment controller', () => {
  test('[Deployment] the ReplicaSet is <deployment>-<pod-template-hash>, the hash up to 10 characters of 4-9bcdf', () => {
    const c = cluster();
    c.createObject(makeDeployment('web', { replicas: 2 }));
    c.runUntil(c.now + 1);
    const rs = [...c.state.list('ReplicaSet')][0];
    expect(rs?.metadata.name).toMatch(/^web-[4-9bcdf]{1,10}$/);
    expect(rs?.metadata.labels?.['pod-template-hash']).toBe(rs?.metadata.name.slice(4));
    expect(rs?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(podTemplateHash({ spec: { containers: [{ name: 'a', image: 'nginx' }] } })).toMatch(/^[4-9bcdf]{1,10}$/);
  });

  test('[RollingUpdate] with maxSurge 1 / maxUnavailable 1 of 4, never more than 5 pods nor fewer than 3 available', () => {
    let maxPods = 0;
    let minAvailable = Infinity;
    let rolling = false;
    const c = cluster(3, 2, (_event, _req, cl) => {
      if (!rolling) return;
      const live = [...cl.state.list('Pod')].filter((p) => isPodActive(p));
      maxPods = Math.max(maxPods, live.length);
      minAvailable = Math.min(minAvailable, live.filter((p) => isPodReady(p)).length);
    });
    const d = makeDeployment('web', { replicas: 4, image: 'nginx:1.27' });
    d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } };
    c.createObject(d);
    c.runUntil(c.now + 30_000);
    const current = deployment(c);
    if (!current) throw new Error('no deployment');
    rolling = true;
    const template = { ...current.spec.template, spec: { ...current.spec.template.spec, containers: [{ ...current.spec.template.spec.containers[0], name: 'web', image: 'nginx:1.28' }] } };
    c.submit({ verb: 'update', kind: 'Deployment', namespace: 'default', name: 'web', object: { ...current, spec: { ...current.spec, template } }, reason: 'new image' });
    c.runUntil(c.now + 120_000);
    expect(maxPods).toBeLessThanOrEqual(5);
    expect(minAvailable).toBeGreaterThanOrEqual(3);
    const live = pods(c).filter((p) => isPodActive(p));
    expect(live.map((p) => p.spec.containers[0]?.image)).toEqual(['nginx:1.28', 'nginx:1.28', 'nginx:1.28', 'nginx:1.28']);
    expect(deployment(c)?.status).toMatchObject({ replicas: 4, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4 });
    expect(deployment(c)?.status?.conditions?.find((x) => x.type === 'Progressing')?.reason).toBe('NewReplicaSetAvailable');
  });

  test('[Rollback] rollout undo brings back the previous template, and its ReplicaSet gets the next revision', () => {
    const c = cluster();
    c.createObject(makeDeployment('web', { replicas: 2, image: 'nginx:1.27' }));
    c.runUntil(c.now + 20_000);
    const d1 = deployment(c);
    if (!d1) throw new Error('no deployment');
    const template = { ...d1.spec.template, spec: { ...d1.spec.template.spec, containers: [{ name: 'web', image: 'nginx:1.28' }] } };
    c.submit({ verb: 'update', kind: 'Deployment', namespace: 'default', name: 'web', object: { ...d1, spec: { ...d1.spec, template } }, reason: 'v2' });
    c.runUntil(c.now + 60_000);
    const d2 = deployment(c);
    if (!d2) throw new Error('no deployment');
    const plan = rollback(c.state, d2);
    if (!plan.ok) throw new Error(plan.message);
    c.submit(plan.request);
    c.runUntil(c.now + 60_000);
    expect(pods(c).filter((p) => isPodActive(p)).map((p) => p.spec.containers[0]?.image)).toEqual(['nginx:1.27', 'nginx:1.27']);
    const sets = [...c.state.list('ReplicaSet')].map((rs) => [rs.spec.template.spec.containers[0]?.image, rs.metadata.annotations?.['deployment.kubernetes.io/revision'], rs.spec.replicas]);
    expect(sets).toEqual([
      ['nginx:1.27', '3', 2],
      ['nginx:1.28', '2', 0],
    ]);
  });

  test('[revisionHistoryLimit] old ReplicaSets beyond the limit are deleted', () => {
    const c = cluster();
    const d = makeDeployment('web', { replicas: 1, image: 'nginx:1.0' });
    d.spec.revisionHistoryLimit = 1;
    c.createObject(d);
    for (const version of ['1.1', '1.2', '1.3']) {
      c.runUntil(c.now + 30_000);
      const cur = deployment(c);
      if (!cur) throw new Error('no deployment');
      const template = { ...cur.spec.template, spec: { ...cur.spec.template.spec, containers: [{ name: 'web', image: `nginx:${version}` }] } };
      c.submit({ verb: 'update', kind: 'Deployment', namespace: 'default', name: 'web', object: { ...cur, spec: { ...cur.spec, template } }, reason: version });
    }
    c.runUntil(c.now + 60_000);
    expect([...c.state.list('ReplicaSet')].map((rs) => rs.spec.template.spec.containers[0]?.image).sort()).toEqual(['nginx:1.2', 'nginx:1.3']);
  });
});

describe('node lifecycle controller', () => {
  test('[NodeLifecycle] 50 s without heartbeat: Ready=Unknown and unreachable taints; pods evicted 300 s later and replaced elsewhere', () => {
    const c = cluster(2);
    c.createObject(makeDeployment('web', { replicas: 2 }));
    c.runUntil(c.now + 20_000);
    const victim = pods(c).find((p) => p.spec.nodeName === 'node-1');
    if (!victim) throw new Error('expected a pod on node-1');
    const stoppedAt = c.now;
    c.stopNode('node-1');
    c.runUntil(stoppedAt + 45_000);
    expect(c.state.node('node-1')?.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
    c.runUntil(stoppedAt + 61_000);
    const node = c.state.node('node-1');
    expect(node?.status?.conditions?.find((x) => x.type === 'Ready')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    expect(node?.spec.taints?.map((t) => `${t.key}:${t.effect}`)).toEqual(['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute']);
    expect(isPodReady(c.state.pod(`default/${victim.metadata.name}`) as Pod)).toBe(false);
    const tainted = node?.spec.taints?.[1]?.timeAdded ?? '';
    c.runUntil(Date.parse(tainted) + 299_000);
    expect(c.state.pod(`default/${victim.metadata.name}`)?.metadata.deletionTimestamp).toBeUndefined();
    c.runUntil(Date.parse(tainted) + 320_000);
    const evicted = c.state.pod(`default/${victim.metadata.name}`);
    expect(evicted?.metadata.deletionTimestamp).toBeDefined();
    expect(evicted?.status?.conditions?.find((x) => x.type === 'DisruptionTarget')).toMatchObject(DISRUPTION_BY_TAINT);
    expect(pods(c).filter((p) => isPodActive(p) && isPodReady(p)).map((p) => p.spec.nodeName)).toEqual(['node-2', 'node-2']);
    c.startNode('node-1');
    c.runUntil(c.now + 20_000);
    expect(c.state.node('node-1')?.spec.taints ?? []).toEqual([]);
    expect(c.state.pod(`default/${victim.metadata.name}`)).toBeUndefined();
  });
});

describe('taint eviction (addConditionAndDeletePod)', () => {
  const created = makePod('web-1', { nodeName: 'node-1' });
  const pod: Pod = { ...created, metadata: { ...created.metadata, uid: 'u1', resourceVersion: '7' } };
  const marked: Pod = { ...pod, status: { conditions: [{ ...DISRUPTION_BY_TAINT, lastTransitionTime: '2026-11-25T10:00:00Z' }] } };
  test.each([
    ['[DisruptionTarget] a pod without the condition gets it (updateStatus), then is deleted', pod, ['updateStatus', 'delete']],
    ['[DisruptionTarget] a pod already marked is only deleted (UpdatePodCondition reports no change)', marked, ['delete']],
  ])('%s', (_rule, p, verbs) => {
    const steps = evictionSteps(p, Date.UTC(2026, 10, 25, 10, 5, 0), 'evict');
    expect(steps.map((s) => s.verb)).toEqual(verbs);
    const status = steps.find((s) => s.verb === 'updateStatus');
    if (status?.verb === 'updateStatus' && status.object.kind === 'Pod') {
      expect(status.object.status?.conditions?.find((x) => x.type === 'DisruptionTarget')).toMatchObject(DISRUPTION_BY_TAINT);
    }
    // The delete carries no resourceVersion precondition: the status write changes it first.
    expect(steps.at(-1)).not.toHaveProperty('resourceVersion');
  });
});

describe('endpoints controller and kube-proxy', () => {
  test('[Endpoints] only ready pods are addresses; kube-proxy programs them 1 s after the change, and routes round robin', () => {
    const c = cluster(2);
    c.createObject(makeDeployment('web', { replicas: 2, port: 80 }));
    c.createObject(makeService('web', { app: 'web' }, 80, { clusterIP: '10.96.0.10' }));
    c.runUntil(c.now + 3_500); // pulled, not started yet: the pods have IPs but are not ready
    const early = c.state.get('Endpoints', 'default/web');
    expect(readyIPs(early)).toEqual([]);
    expect(early?.subsets?.[0]?.notReadyAddresses).toHaveLength(2);
    c.runUntil(c.now + 10_000);
    const endpoints = c.state.get('Endpoints', 'default/web');
    const ips = readyIPs(endpoints);
    expect(ips).toHaveLength(2);
    const changedAt = Date.parse(endpoints?.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'] ?? '');
    const table = c.state.proxyTable('node-1')?.status.services[0];
    expect(table?.endpoints.map((e) => e.ip)).toEqual(ips);
    expect(Date.parse(table?.programmedAt ?? '') - changedAt).toBe(1000);
  });

  test('[kube-proxy] round robin over programmed endpoints; connection refused without endpoints; stale rules fail', async () => {
    const { routeRequest } = await import('../proxy/proxy');
    const c = cluster(1);
    c.createObject(makeService('web', { app: 'web' }, 80, { clusterIP: '10.96.0.10' }));
    c.runUntil(c.now + 2_000);
    expect(routeRequest(c.state, 'node-1', 'default/web').outcome).toEqual({
      outcome: 'refused',
      message: 'dial tcp 10.96.0.10: connect: connection refused (no endpoints programmed on node-1)',
    });
    c.createObject(makeDeployment('web', { replicas: 2, port: 80 }));
    c.runUntil(c.now + 10_000);
    const served: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { outcome, steps } = routeRequest(c.state, 'node-1', 'default/web');
      if (outcome.outcome === 'served') served.push(outcome.pod);
      for (const s of steps) if (s.verb !== 'timer') c.submit(s);
    }
    expect(served).toHaveLength(4);
    expect(served[0]).toBe(served[2]);
    expect(served[0]).not.toBe(served[1]);
    // A pod goes away: until kube-proxy resyncs, its rule still routes to it and the request fails.
    const gone = served[0] ?? '';
    c.submit({ verb: 'delete', kind: 'Pod', namespace: 'default', name: gone, gracePeriodSeconds: 0, reason: 'test' });
    const stale = routeRequest(c.state, 'node-1', 'default/web').outcome;
    expect(stale.outcome === 'failed' && stale.message).toContain('no route to host');
    expect(c.state.proxyTable('node-1')?.status.services[0]?.served).toBe(4);
  });
});

describe("the controllers' events (kubectl get events), once per occurrence", () => {
  type Row = [string | undefined, string, string | undefined, string | undefined, string | undefined];
  const row = (e: Event): Row => [e.source?.component, `${e.involvedObject.kind}/${e.involvedObject.name}`, e.type, e.reason, e.message];
  const rsName = (c: SimCluster): string => [...c.state.list('ReplicaSet')][0]?.metadata.name ?? '';

  /** Runs `before`, then keeps the events `during` records, and what each controller would record again on the result. */
  function recorded(before: (c: SimCluster) => void, during: (c: SimCluster) => void): { c: SimCluster; events: Event[]; again: number } {
    const events: Event[] = [];
    let on = false;
    const c = cluster(2, 1, (e) => void (on && e.type === 'ADDED' && e.object.kind === 'Event' && events.push(e.object)));
    before(c);
    on = true;
    during(c);
    const rng = seededRng(9);
    const again = [...reconcileDeployments(c.state, c.now, rng), ...reconcileReplicaSets(c.state, c.now, rng), ...reconcileNodeLifecycle(c.state, c.now, rng)].filter(
      (s) => isApiRequest(s) && s.verb === 'create' && s.object.kind === 'Event',
    ).length;
    return { c, events, again };
  }

  const table: { rule: string; before: (c: SimCluster) => void; during: (c: SimCluster) => void; expected: (c: SimCluster, removed: string[]) => Row[] }[] = [
    {
      rule: '[Deployment][ReplicaSet] scale up: ScalingReplicaSet "Scaled up replica set <rs> from 0 to 2", SuccessfulCreate "Created pod: <pod>" per pod',
      before: () => undefined,
      during: (c) => {
        c.createObject(makeDeployment('web', { replicas: 2 }));
        c.runUntil(c.now + 20_000);
      },
      expected: (c) => [
        ['deployment-controller', 'Deployment/web', 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${rsName(c)} from 0 to 2`],
        ...pods(c).map((p): Row => ['replicaset-controller', `ReplicaSet/${rsName(c)}`, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata.name}`]),
      ],
    },
    {
      rule: '[Deployment][ReplicaSet] scale down: "Scaled down replica set <rs> from 2 to 1", SuccessfulDelete "Deleted pod: <pod>"',
      before: (c) => {
        c.createObject(makeDeployment('web', { replicas: 2 }));
        c.runUntil(c.now + 20_000);
      },
      during: (c) => {
        const d = deployment(c);
        if (!d) throw new Error('no deployment');
        c.submit({ verb: 'update', kind: 'Deployment', namespace: 'default', name: 'web', object: { ...d, spec: { ...d.spec, replicas: 1 } }, reason: 'test' });
        c.runUntil(c.now + 40_000);
      },
      expected: (c, removed) => [
        ['deployment-controller', 'Deployment/web', 'Normal', 'ScalingReplicaSet', `Scaled down replica set ${rsName(c)} from 2 to 1`],
        ...removed.map((name): Row => ['replicaset-controller', `ReplicaSet/${rsName(c)}`, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`]),
      ],
    },
    {
      rule: '[NodeLifecycle] a node silent for 50 s: NodeNotReady on the Node ("Node <node> status is now: NodeNotReady") and on each ready pod ("Node is not ready")',
      before: (c) => {
        c.createObject(makePod('web-1', { nodeName: 'node-1' }));
        c.runUntil(c.now + 20_000);
        c.stopNode('node-1');
      },
      during: (c) => c.runUntil(c.now + 120_000),
      expected: () => [
        ['node-controller', 'Node/node-1', 'Normal', 'NodeNotReady', 'Node node-1 status is now: NodeNotReady'],
        ['node-controller', 'Pod/web-1', 'Warning', 'NodeNotReady', 'Node is not ready'],
      ],
    },
  ];

  test.each(table)('$rule', ({ before, during, expected }) => {
    let names: string[] = [];
    const { c, events, again } = recorded(before, (cl) => {
      names = pods(cl).map((p) => p.metadata.name);
      during(cl);
    });
    const removed = names.filter((n) => !pods(c).some((p) => p.metadata.name === n));
    const sort = (rows: Row[]): Row[] => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const controllers = new Set(['deployment-controller', 'replicaset-controller', 'node-controller']);
    expect(sort(events.map(row).filter((r) => controllers.has(r[0] ?? '')))).toEqual(sort(expected(c, removed)));
    // Reconcile passes are idempotent: on the resulting state no controller records anything again.
    expect(again).toBe(0);
  });
});
