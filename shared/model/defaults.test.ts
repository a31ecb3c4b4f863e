import { describe, expect, test } from 'vitest';
import { applyDefaults, defaultPullPolicy } from './defaults';
import { DEFAULT_TOLERATIONS } from './taints';
import { makeDeployment, makeNode, makePod, makeService } from './factories';
import { validateObject } from './validate';

describe('applyDefaults (API server defaulting)', () => {
  test.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.27', 'IfNotPresent'],
    ['registry:5000/team/app', 'Always'],
    ['registry:5000/team/app:v2', 'IfNotPresent'],
    ['nginx@sha256:abc', 'IfNotPresent'],
  ])('[SetDefaults_Container] image %j pulls %s', (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy);
  });

  test('[SetDefaults_Pod] restartPolicy, grace period, scheduler, tolerations, phase', () => {
    const pod = applyDefaults(makePod('p', { image: 'nginx:1.27' }));
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      priority: 0,
      tolerations: DEFAULT_TOLERATIONS,
    });
    expect(pod.spec.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
    expect(pod.status?.phase).toBe('Pending');
  });

  test('[SetDefaults_Pod] requests default to limits; probes get their periods', () => {
    const pod = makePod('p', { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } });
    pod.spec.containers[0]!.readinessProbe = { httpGet: { path: '/', port: 80 } };
    const c = applyDefaults(pod).spec.containers[0];
    expect(c?.resources?.requests).toEqual({ cpu: '500m', memory: '1Gi' });
    expect(c?.readinessProbe).toEqual({ httpGet: { path: '/', port: 80 }, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
  });

  test('[SetDefaults_Deployment] replicas 1, RollingUpdate 25%/25%, history 10, deadline 600', () => {
    const d = makeDeployment('web');
    delete d.spec.replicas;
    expect(applyDefaults(d).spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    const recreate = makeDeployment('web');
    recreate.spec.strategy = { type: 'Recreate' };
    expect(applyDefaults(recreate).spec.strategy).toEqual({ type: 'Recreate' });
  });

  test('[SetDefaults_Service] ClusterIP, TCP, targetPort = port', () => {
    const s = makeService('web', { app: 'web' }, 80);
    s.spec.ports = [{ port: 80 }];
    delete s.spec.type;
    expect(applyDefaults(s).spec).toMatchObject({ type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] });
  });

  test('[defaulting] does not mutate, is idempotent, and stays valid', () => {
    for (const obj of [makePod('p', { limits: { cpu: 1 } }), makeDeployment('web'), makeService('web', { app: 'web' }, 80), makeNode('n')]) {
      const before = JSON.stringify(obj);
      const once = applyDefaults(obj);
      expect(JSON.stringify(obj)).toBe(before);
      expect(applyDefaults(once)).toEqual(once);
      expect(validateObject(once).ok).toBe(true);
    }
  });
});
