/**
 * kube-proxy on every worker node: each node's kube-proxy programs only its own node's rules, a
 * request follows the rules of the node it starts on, and a stopped kube-proxy leaves its node
 * routing to stale endpoints until it syncs again.
 */
import { describe, expect, test } from 'vitest';
import { isPodReady, makeDeployment, makeService, type Node } from '@shared/model';
import { parseRole, type ParsedRole } from '@shared/protocol';
import { reconcile } from '../bots';
import { SimCluster } from '../cluster';
import { readyIPs } from '../controllers/endpoints';
import { KUBE_PROXY_STOPPED } from '../faults';
import { legalMoves, planAction, roleMoves } from '../moves';
import { isApiRequest } from '../requests';
import { routeRequest, staleRules } from './proxy';

const WEB = 'default/web';

function cluster(): SimCluster {
  const c = new SimCluster({ seed: 7 });
  c.addNode('node-1');
  c.addNode('node-2');
  c.createObject(makeDeployment('web', { replicas: 2, port: 80 }));
  c.createObject(makeService('web', { app: 'web' }, 80));
  c.runUntil(c.now + 15_000);
  return c;
}

/** The instructor's fault, as the API server writes it: an annotation on the Node. */
function setKubeProxyStopped(c: SimCluster, node: string, stopped: boolean): void {
  const current = c.state.node(node) as Node;
  const annotations = { ...current.metadata.annotations };
  if (stopped) annotations[KUBE_PROXY_STOPPED] = 'true';
  else delete annotations[KUBE_PROXY_STOPPED];
  const outcome = c.submit({ verb: 'update', kind: 'Node', name: node, object: { ...current, metadata: { ...current.metadata, annotations } }, reason: 'test' });
  expect(outcome.ok).toBe(true);
}

/** The pods (`name ip`) the node's rules send web's requests to. */
const programmed = (c: SimCluster, node: string): string[] => (c.state.proxyTable(node)?.status.services.find((s) => s.service === WEB)?.endpoints ?? []).map((e) => `${e.pod ?? ''} ${e.ip}`);
const readyPods = (c: SimCluster): string[] => [...c.state.list('Pod')].filter((p) => isPodReady(p) && !p.metadata.deletionTimestamp).map((p) => `${p.metadata.name} ${p.status?.podIP ?? ''}`);

/** `count` requests to web from `node`, each written back as the API server would (the cursor moves). */
function send(c: SimCluster, node: string, count: number): ReturnType<typeof routeRequest>['outcome'][] {
  const outcomes: ReturnType<typeof routeRequest>['outcome'][] = [];
  for (let i = 0; i < count; i++) {
    const { outcome, steps } = routeRequest(c.state, node, WEB);
    outcomes.push(outcome);
    for (const step of steps) if (isApiRequest(step)) c.submit(step);
  }
  return outcomes;
}

describe('kube-proxy on every worker node', () => {
  test('[kube-proxy] the role kube-proxy:<node> programs and routes only for its own node', () => {
    const c = cluster();
    const role = parseRole('kube-proxy:node-1') as ParsedRole;
    expect(role).toEqual({ component: 'kube-proxy', node: 'node-1' });
    // Every move of node-1's kube-proxy names node-1, and none names node-2.
    const moves = legalMoves('kube-proxy:node-1', c.state, c.now);
    expect(moves.length).toBeGreaterThan(0);
    expect(new Set(moves.map((m) => ('node' in m.action ? m.action.node : '')))).toEqual(new Set(['node-1']));
    // After an Endpoints change, node-1's bot writes node-1's table and nothing else.
    const pod = [...c.state.list('Pod')][0]?.metadata.name ?? '';
    c.submit({ verb: 'delete', kind: 'Pod', namespace: 'default', name: pod, gracePeriodSeconds: 0, reason: 'test' });
    c.settle(); // the endpoints controller follows; kube-proxy waits minSyncPeriod
    const steps = reconcile(role, c.state, c.now + 60_000, c.rng).filter(isApiRequest);
    expect(steps.map((s) => `${s.kind}/${s.name}`)).toEqual(['ProxyTable/node-1']);
  });

  test('[kube-proxy] a ClusterIP request from each node reaches only ready endpoints, through that node’s rules', () => {
    const c = cluster();
    const ready = readyPods(c).sort();
    expect(ready).toHaveLength(2);
    expect(readyIPs(c.state.get('Endpoints', WEB)).sort()).toEqual(ready.map((p) => p.split(' ')[1]).sort());
    for (const node of ['node-1', 'node-2']) {
      expect(programmed(c, node).sort()).toEqual(ready);
      const outcomes = send(c, node, 4);
      expect(outcomes.map((o) => o.outcome)).toEqual(['served', 'served', 'served', 'served']);
      expect(new Set(outcomes.map((o) => (o.outcome === 'served' ? `${o.pod} ${o.ip}` : '')))).toEqual(new Set(ready));
      // Only this node's table counts them.
      expect(c.state.proxyTable(node)?.status.services.find((s) => s.service === WEB)?.served).toBe(4);
    }
  });

  test('[kube-proxy] a stopped kube-proxy keeps its node routing to stale endpoints until it syncs again', () => {
    const c = cluster();
    const before = programmed(c, 'node-2').sort();
    setKubeProxyStopped(c, 'node-2', true);
    const gone = before[0]?.split(' ')[0] ?? '';
    c.submit({ verb: 'delete', kind: 'Pod', namespace: 'default', name: gone, gracePeriodSeconds: 0, reason: 'test' });
    c.runUntil(c.now + 15_000); // the ReplicaSet's replacement is Ready, the Endpoints follow
    const ready = readyPods(c).sort();
    expect(ready).toHaveLength(2);
    expect(ready).not.toContain(before[0]);

    // node-1 synced: only ready endpoints, every request served.
    expect(programmed(c, 'node-1').sort()).toEqual(ready);
    expect(staleRules(c.state, 'node-1', c.now)).toEqual([]);
    expect(send(c, 'node-1', 4).every((o) => o.outcome === 'served')).toBe(true);

    // node-2 did not: its rules still name the deleted pod, and a request sent there fails.
    expect(programmed(c, 'node-2').sort()).toEqual(before);
    expect(staleRules(c.state, 'node-2', c.now)).toEqual([WEB]);
    const fromNode2 = send(c, 'node-2', 2).map((o) => o.outcome);
    expect(fromNode2.sort()).toEqual(['failed', 'served']);
    expect(legalMoves('kube-proxy:node-2', c.state, c.now).some((m) => m.action.kind === 'syncProxyRules')).toBe(false);
    expect(roleMoves('kube-proxy:node-2', c.state, c.now).waiting).toContainEqual(expect.objectContaining({ kind: 'syncProxyRules', node: 'node-2', label: 'kube-proxy stopped' }));
    // Its bot writes nothing while stopped.
    expect(reconcile({ component: 'kube-proxy', node: 'node-2' }, c.state, c.now, c.rng)).toEqual([]);

    // Started again: it syncs, and requests from node-2 reach only ready pods.
    setKubeProxyStopped(c, 'node-2', false);
    c.runUntil(c.now + 2_000);
    expect(programmed(c, 'node-2').sort()).toEqual(ready);
    expect(staleRules(c.state, 'node-2', c.now)).toEqual([]);
    expect(send(c, 'node-2', 4).every((o) => o.outcome === 'served')).toBe(true);
  });

  test('[kube-proxy] a Service with no endpoints has no stale rules on a node that has not programmed it: a request is refused either way', () => {
    // The lobby: the Service and its Deployment are in, no controller has run, no table has rules for web.
    const c = new SimCluster({ seed: 7 });
    c.addNode('node-1');
    c.addNode('node-2');
    c.createObject(makeDeployment('web', { replicas: 2, port: 80 }));
    c.createObject(makeService('web', { app: 'web' }, 80));
    expect(c.state.proxyTable('node-1')?.status.services).toEqual([]);
    expect(routeRequest(c.state, 'node-1', WEB).outcome.outcome).toBe('refused');
    expect(staleRules(c.state, 'node-1', c.now)).toEqual([]);
    // Programming web's empty rules (its REJECT rule) is still kube-proxy's move.
    expect(legalMoves('kube-proxy:node-1', c.state, c.now).map((m) => m.label)).toContain('Sync web on node-1');

    // Once web has ready endpoints, a node whose kube-proxy is stopped routes them nowhere: stale.
    setKubeProxyStopped(c, 'node-2', true);
    c.runUntil(c.now + 15_000);
    expect(readyPods(c)).toHaveLength(2);
    expect(staleRules(c.state, 'node-1', c.now)).toEqual([]);
    expect(staleRules(c.state, 'node-2', c.now)).toEqual([WEB]);
  });

  test('[kube-proxy] a sent routeRequest is planned as its route (its table write, and where it went in the words); one to a Service not programmed on the node yet is refused with what the node can do', () => {
    const c = cluster();
    const route = routeRequest(c.state, 'node-1', WEB);
    expect(route.outcome.message).toMatch(/^served by web-[a-z0-9-]+ \(10\.244\.[0-9.]+\)$/);
    expect(planAction(c.state, { kind: 'routeRequest', node: 'node-1', service: 'web' }, c.now, c.rng)).toMatchObject({ ok: true, steps: route.steps, message: route.outcome.message });
    c.createObject(makeService('api', { app: 'web' }, 8080));
    expect(planAction(c.state, { kind: 'routeRequest', node: 'node-1', service: 'api' }, c.now, c.rng)).toEqual({
      ok: false,
      code: 'Invalid',
      message: 'routeRequest api is not a move kube-proxy:node-1 can make now. Moves kube-proxy:node-1 can make now: Sync api on node-1 (program default/api -> [] on node-1).',
    });
    expect(planAction(c.state, { kind: 'routeRequest', node: 'node-1', service: 'nope' }, c.now, c.rng)).toEqual({ ok: false, code: 'NotFound', message: 'services "nope" not found' });
  });

  test('[ShouldSkipService] a headless Service (clusterIP: None) gets no rules on any node', () => {
    const c = cluster();
    c.createObject(makeService('db', { app: 'web' }, 5432, { clusterIP: 'None' }));
    c.runUntil(c.now + 5_000);
    expect(c.state.get('Endpoints', 'default/db')).toBeDefined();
    for (const node of ['node-1', 'node-2']) expect(c.state.proxyTable(node)?.status.services.map((s) => s.service)).toEqual([WEB]);
  });
});
