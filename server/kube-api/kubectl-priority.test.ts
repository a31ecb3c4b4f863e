/**
 * PriorityClasses through kubectl 1.32: the instructor creates one, `kubectl get pc` prints it as
 * Kubernetes does, a pod naming it gets its priority from priority admission (so do a Deployment's
 * pods, created by the controller manager), and a pod naming a class that does not exist is
 * refused with Kubernetes' Forbidden message. A student may not create a class.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/wait';
import type { Kubectl } from './testing/kubectl';
import { kubectlClassroom, type KubectlClassroom } from './testing/kubectl-classroom';

let setup: KubectlClassroom;
let kubectl: Kubectl;
let ada: Kubectl;

const CLASS = `apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 100000
globalDefault: false
description: pods that go first
`;
const pod = (name: string, className: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  priorityClassName: ${className}
  containers: [{name: app, image: nginx}]
`;
const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: urgent}
spec:
  replicas: 1
  selector: {matchLabels: {app: urgent}}
  template:
    metadata: {labels: {app: urgent}}
    spec:
      priorityClassName: high
      containers: [{name: app, image: nginx}]
`;

beforeAll(async () => {
  setup = await kubectlClassroom('kubectl-priority', { students: { ada: 'kubelet:node-1' }, body: { nodes: 1 }, then: 'play' });
  ({ kubectl } = setup);
  ada = await setup.student('ada');
}, 60_000);

afterAll(() => setup?.close());

const file = (name: string, text: string): string => {
  const at = path.join(path.dirname(kubectl.kubeconfig), name);
  writeFileSync(at, text);
  return at;
};

describe('kubectl and PriorityClasses', () => {
  it('creates a class, lists it, and gives a pod naming it its priority; a missing class is Forbidden', async () => {
    const classFile = file('high.yaml', CLASS);
    const denied = await ada.run('create', '-f', classFile);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('cannot create resource "priorityclasses" in API group "scheduling.k8s.io" at the cluster scope');
    expect(await kubectl.run('create', '-f', classFile)).toMatchObject({ stdout: 'priorityclass.scheduling.k8s.io/high created\n', code: 0 });
    const listed = await kubectl.run('get', 'pc', 'high');
    expect(listed.stdout.split('\n')[0]?.split(/\s+/)).toEqual(['NAME', 'VALUE', 'GLOBAL-DEFAULT', 'AGE', 'PREEMPTIONPOLICY']);
    expect(listed.stdout.split('\n')[1]?.split(/\s+/).filter((_, i) => i !== 3)).toEqual(['high', '100000', 'false', 'PreemptLowerPriority']);

    expect(await kubectl.run('create', '-f', file('x.yaml', pod('x', 'high')))).toMatchObject({ stdout: 'pod/x created\n', code: 0 });
    expect((await kubectl.run('get', 'pod', 'x', '-o', 'jsonpath={.spec.priority}')).stdout).toBe('100000');

    const missing = await kubectl.run('create', '-f', file('web.yaml', pod('web', 'missing')));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toBe('Error from server (Forbidden): error when creating "' + path.join(path.dirname(kubectl.kubeconfig), 'web.yaml') + '": pods "web" is forbidden: no PriorityClass with name missing was found\n');
  }, 60_000);

  it("gives a Deployment's pods, which the controller manager creates, the priority of the template's class", async () => {
    expect((await kubectl.run('create', '-f', file('urgent.yaml', DEPLOYMENT))).code).toBe(0);
    const priorities = async () => (await kubectl.run('get', 'pods', '-l', 'app=urgent', '-o', 'jsonpath={.items[*].spec.priority}')).stdout;
    await waitFor(async () => (await priorities()) === '100000', { timeoutMs: 60_000, intervalMs: 500, what: 'the Deployment pod with priority 100000' });
    expect(await priorities()).toBe('100000');
  }, 90_000);
});
