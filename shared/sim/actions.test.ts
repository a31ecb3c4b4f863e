import { describe, expect, test } from 'vitest';
import { makeDeployment, makePod, type Event } from '@shared/model';
import { planAction } from './actions';
import { SimCluster } from './cluster';
import { reconcileKubelet } from './kubelet/kubelet';
import { isApiRequest, type Step } from './requests';

/** The Event objects a move creates: [source component, involved kind/name, type, reason, message]. */
const eventsIn = (steps: readonly Step[]): [string | undefined, string, string | undefined, string | undefined, string | undefined][] =>
  steps
    .filter(isApiRequest)
    .flatMap((s) => (s.verb === 'create' && s.object.kind === 'Event' ? [s.object as Event] : []))
    .map((e) => [e.source?.component, `${e.involvedObject.kind}/${e.involvedObject.name}`, e.type, e.reason, e.message]);

const apply = (c: SimCluster, steps: readonly Step[]): void => {
  for (const step of steps) if (isApiRequest(step)) c.submit(step);
};

function cluster(): SimCluster {
  const c = new SimCluster({ seed: 5 });
  c.addNode('node-1', { cpu: 1 });
  c.addNode('node-2', { cpu: 4 });
  return c;
}

describe("a student's move, checked and turned into requests", () => {
  test('[bind] a node that fails a filter is refused with Unschedulable and Kubernetes\' message', () => {
    const c = cluster();
    c.stopNode('node-1');
    c.stopNode('node-2'); // no kubelet bots: the pod stays where the student puts it
    c.createObject(makePod('web-1', { requests: { cpu: '2' } }));
    const pod = c.state.pod('default/web-1');
    const refused = planAction(c.state, { kind: 'bind', pod: 'web-1', node: 'node-1', resourceVersion: pod?.metadata.resourceVersion ?? '' }, c.now, c.rng);
    expect(refused).toEqual({
      ok: false,
      code: 'Unschedulable',
      message: '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod. (node-1 skipped: Insufficient cpu (requested 2, free 1))',
    });
    const accepted = planAction(c.state, { kind: 'bind', pod: 'web-1', node: 'node-2', resourceVersion: pod?.metadata.resourceVersion ?? '' }, c.now, c.rng);
    expect(accepted.ok && accepted.steps.map((s) => s.verb)).toEqual(['bind', 'create']);
  });

  test('[bind] a stale resourceVersion is a Conflict', () => {
    const c = cluster();
    c.createObject(makePod('web-1'));
    const plan = planAction(c.state, { kind: 'bind', pod: 'web-1', node: 'node-2', resourceVersion: '1' }, c.now, c.rng);
    expect(plan).toMatchObject({ ok: false, code: 'Conflict' });
  });

  test('[NodeLifecycle] Ready=Unknown is refused while the node still sends heartbeats', () => {
    const c = cluster();
    c.runUntil(c.now + 20_000);
    const node = c.state.node('node-1');
    const plan = planAction(c.state, { kind: 'setNodeCondition', node: 'node-1', status: 'Unknown', resourceVersion: node?.metadata.resourceVersion ?? '' }, c.now, c.rng);
    expect(plan).toEqual({ ok: false, code: 'Invalid', message: 'node-1 sent a heartbeat 0s ago; it becomes Unknown only after 50s without one' });
  });

  test('[ReplicaSet] createPod is refused when the ReplicaSet already has its replicas, accepted when one is missing', () => {
    const c = cluster();
    c.createObject(makeDeployment('web', { replicas: 1 }));
    c.runUntil(c.now + 1);
    const rs = [...c.state.list('ReplicaSet')][0]?.metadata.name ?? '';
    expect(planAction(c.state, { kind: 'createPod', replicaSet: rs }, c.now, c.rng)).toMatchObject({ ok: false, message: `${rs} already has 1 of 1 pods` });
    const pod = [...c.state.list('Pod')][0];
    c.submit({ verb: 'delete', kind: 'Pod', namespace: 'default', name: pod?.metadata.name ?? '', gracePeriodSeconds: 0, reason: 'test' });
    const plan = planAction(c.state, { kind: 'createPod', replicaSet: rs }, c.now, c.rng);
    expect(plan.ok && plan.steps.map((s) => s.verb === 'create' && s.object.kind === 'Pod' && s.object.metadata.ownerReferences?.[0]?.name)).toEqual([rs, false]);
  });

  test('[container-runtime] answering a pending CRI call starts it; a second answer is refused', () => {
    const c = cluster();
    c.stopNode('node-2'); // a student plays node-2: no bot moves there
    c.createObject(makePod('web-1', { nodeName: 'node-2', image: 'nginx:1.27' }));
    for (const step of reconcileKubelet(c.state, 'node-2', c.now)) if (step.verb !== 'timer') c.submit(step);
    const call = c.state.runtime('node-2')?.status.calls[0];
    expect([call?.call, call?.status, call?.image]).toEqual(['PullImage', 'pending', 'nginx:1.27']);
    const plan = planAction(c.state, { kind: 'answerCri', node: 'node-2', callId: call?.id ?? '' }, c.now, c.rng);
    if (!plan.ok) throw new Error(plan.message);
    expect(plan.steps.map((s) => (s.verb === 'timer' ? `timer ${s.timer.kind} +${(s.timer.dueAt - c.now) / 1000}s` : `${s.verb} ${s.kind}`))).toEqual([
      'update ContainerRuntime',
      'timer criCallDue +3s',
    ]);
    for (const step of plan.steps) if (step.verb !== 'timer') c.submit(step);
    expect(planAction(c.state, { kind: 'answerCri', node: 'node-2', callId: call?.id ?? '' }, c.now, c.rng)).toEqual({
      ok: false,
      code: 'Invalid',
      message: `CRI call ${call?.id} is already running`,
    });
  });

  describe('[Events] a student\'s move records the same events as the component it plays', () => {
    test('[Scheduled] an accepted bind records "Successfully assigned default/<pod> to <node>" from default-scheduler', () => {
      const c = cluster();
      c.stopNode('node-1');
      c.stopNode('node-2');
      c.createObject(makePod('web-1'));
      const plan = planAction(c.state, { kind: 'bind', pod: 'web-1', node: 'node-2', resourceVersion: c.state.pod('default/web-1')?.metadata.resourceVersion ?? '' }, c.now, c.rng);
      expect(plan.ok && eventsIn(plan.steps)).toEqual([['default-scheduler', 'Pod/web-1', 'Normal', 'Scheduled', 'Successfully assigned default/web-1 to node-2']]);
    });

    test('[ReplicaSet] createPod records SuccessfulCreate, deleting a surplus pod SuccessfulDelete, on the ReplicaSet', () => {
      const c = cluster();
      c.createObject(makeDeployment('web', { replicas: 1 }));
      c.runUntil(c.now + 1);
      const rs = [...c.state.list('ReplicaSet')][0]?.metadata.name ?? '';
      const first = [...c.state.list('Pod')][0]?.metadata.name ?? '';
      c.submit({ verb: 'delete', kind: 'Pod', namespace: 'default', name: first, gracePeriodSeconds: 0, reason: 'test' });
      const created = planAction(c.state, { kind: 'createPod', replicaSet: rs }, c.now, c.rng);
      if (!created.ok) throw new Error(created.message);
      const name = created.steps.filter(isApiRequest).find((s) => s.verb === 'create' && s.object.kind === 'Pod')?.name ?? '';
      expect(eventsIn(created.steps)).toEqual([['replicaset-controller', `ReplicaSet/${rs}`, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`]]);
      apply(c, created.steps);
      // Scaled to 0 (as the Deployment controller would): deleting the surplus pod is the ReplicaSet controller's move.
      const set = c.state.get('ReplicaSet', `default/${rs}`);
      if (!set) throw new Error('no ReplicaSet');
      c.submit({ verb: 'update', kind: 'ReplicaSet', namespace: 'default', name: rs, object: { ...set, spec: { ...set.spec, replicas: 0 } }, reason: 'test' });
      const deleted = planAction(c.state, { kind: 'deletePod', pod: name, resourceVersion: c.state.pod(`default/${name}`)?.metadata.resourceVersion ?? '' }, c.now, c.rng);
      expect(deleted.ok && eventsIn(deleted.steps)).toEqual([['replicaset-controller', `ReplicaSet/${rs}`, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`]]);
    });

    test('[Kubelet] a pull move records Pulling with the runtime write; a status report carries none of the runtime\'s events', () => {
      const c = cluster();
      c.stopNode('node-2'); // a student plays node-2
      c.createObject(makePod('web-1', { nodeName: 'node-2', image: 'nginx:1.27' }));
      const pull = planAction(c.state, { kind: 'pullImage', node: 'node-2', pod: 'web-1', container: 'app' }, c.now, c.rng);
      if (!pull.ok) throw new Error(pull.message);
      expect(eventsIn(pull.steps)).toEqual([['kubelet', 'Pod/web-1', 'Normal', 'Pulling', 'Pulling image "nginx:1.27"']]);
      expect(pull.steps.filter(isApiRequest).map((s) => `${s.verb} ${s.kind}`)).toEqual(['update ContainerRuntime', 'create Event']);
      apply(c, pull.steps);
      // The same move again: nothing left to pull, and no second Pulling.
      expect(planAction(c.state, { kind: 'pullImage', node: 'node-2', pod: 'web-1', container: 'app' }, c.now, c.rng).ok).toBe(false);
      const report = planAction(c.state, { kind: 'syncPodStatus', node: 'node-2', pod: 'web-1', resourceVersion: c.state.pod('default/web-1')?.metadata.resourceVersion ?? '' }, c.now, c.rng);
      expect(report.ok && eventsIn(report.steps)).toEqual([]);
    });

    test('[Killing] a kill move on a deleted pod records "Stopping container <name>"', () => {
      const c = cluster();
      c.createObject(makePod('web-1', { nodeName: 'node-2', image: 'nginx:1.27' }));
      c.runUntil(c.now + 10_000);
      c.stopNode('node-2');
      c.submit({ verb: 'delete', kind: 'Pod', namespace: 'default', name: 'web-1', reason: 'test' });
      const kill = planAction(c.state, { kind: 'killPod', node: 'node-2', pod: 'web-1' }, c.now, c.rng);
      expect(kill.ok && eventsIn(kill.steps)).toEqual([['kubelet', 'Pod/web-1', 'Normal', 'Killing', 'Stopping container app']]);
    });

    test('[TaintManagerEviction] evicting a pod that does not tolerate a NoExecute taint records "Marking for deletion Pod <ns>/<pod>"', () => {
      const c = cluster();
      c.stopNode('node-1');
      c.stopNode('node-2');
      c.createObject(makePod('web-1', { nodeName: 'node-2' }));
      const node = c.state.node('node-2');
      if (!node) throw new Error('no node');
      c.submit({ verb: 'update', kind: 'Node', name: 'node-2', object: { ...node, spec: { ...node.spec, taints: [{ key: 'maintenance', effect: 'NoExecute' }] } }, reason: 'test' });
      const plan = planAction(c.state, { kind: 'evictPod', pod: 'web-1', resourceVersion: c.state.pod('default/web-1')?.metadata.resourceVersion ?? '' }, c.now, c.rng);
      expect(plan.ok && eventsIn(plan.steps)).toEqual([['taint-eviction-controller', 'Pod/web-1', 'Normal', 'TaintManagerEviction', 'Marking for deletion Pod default/web-1']]);
    });

    test('[NodeLifecycle] setting Ready=Unknown after the grace period records NodeNotReady on the Node from node-controller', () => {
      const c = cluster();
      c.runUntil(c.now + 1);
      c.stopNode('node-1');
      const node = c.state.node('node-1');
      const later = c.now + 60_000;
      const plan = planAction(c.state, { kind: 'setNodeCondition', node: 'node-1', status: 'Unknown', resourceVersion: node?.metadata.resourceVersion ?? '' }, later, c.rng);
      expect(plan.ok && eventsIn(plan.steps)).toEqual([['node-controller', 'Node/node-1', 'Normal', 'NodeNotReady', 'Node node-1 status is now: NodeNotReady']]);
    });
  });
});
