import { describe, expect, test } from 'vitest';
import { makeDeployment, makePod } from '@shared/model';
import { planAction } from './actions';
import { SimCluster } from './cluster';
import { reconcileKubelet } from './kubelet/kubelet';

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
    expect(accepted.ok && accepted.steps.map((s) => s.verb)).toEqual(['bind']);
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
    expect(plan.ok && plan.steps.map((s) => s.verb === 'create' && s.object.metadata.ownerReferences?.[0]?.name)).toEqual([rs]);
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
});
