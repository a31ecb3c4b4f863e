/**
 * Priority admission cases ported as data from Kubernetes 1.32
 * plugin/pkg/admission/priority/admission_test.go (TestPodAdmission, TestPriorityClassAdmission,
 * TestDefaultPriority). Our own code and words; the classes and expectations are theirs.
 */
import { describe, expect, it } from 'vitest';
import { systemPriorityClasses, type Pod, type PreemptionPolicy, type PriorityClass } from '@shared/model';
import { admitPodPriority, admitPriorityClass, defaultPriorityClass } from './priority';

const SOURCE = 'plugin/pkg/admission/priority/admission_test.go';

function pc(name: string, value: number, globalDefault: boolean, preemptionPolicy?: PreemptionPolicy): PriorityClass {
  return { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, globalDefault, ...(preemptionPolicy ? { preemptionPolicy } : {}) };
}
const defaultClass1 = pc('default1', 1000, true);
const defaultClass2 = pc('default2', 2000, true);
const nondefaultClass1 = pc('nondefault1', 2000, false);
// The test's systemClusterCritical is marked globalDefault there; kept so.
const systemClusterCritical = { ...systemPriorityClasses().find((c) => c.metadata.name === 'system-cluster-critical')!, globalDefault: true };
const preemptionPolicyClass = pc('nopreemptionpolicy', 2000, true, 'PreemptLowerPriority');

function pod(name: string, spec: { priorityClassName?: string; priority?: number; preemptionPolicy?: PreemptionPolicy } = {}, annotations?: Record<string, string>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'namespace', ...(annotations ? { annotations } : {}) },
    spec: { containers: [{ name: 'container', image: 'nginx' }], ...spec },
  } as Pod;
}
const mirror = { 'kubernetes.io/config.mirror': '' };
const pods = [
  pod('pod-w-priorityclass', { priorityClassName: 'default1' }),
  pod('pod-wo-priorityclass'),
  pod('pod-w-non-existing-priorityclass', { priorityClassName: 'non-existing' }),
  pod('pod-w-integer-priority', { priorityClassName: 'default1', priority: 1000 }),
  pod('pod-w-system-priority', { priorityClassName: 'system-cluster-critical' }),
  pod('mirror-pod-w-system-priority', { priorityClassName: 'system-cluster-critical' }, mirror),
  pod('mirror-pod-w-integer-priority', { priorityClassName: 'default1', priority: 1000 }, mirror),
  pod('pod-w-system-priority-in-nonsystem-namespace', { priorityClassName: 'system-cluster-critical' }),
  pod('pod-w-zero-priority-in-nonsystem-namespace', { priority: 0 }),
  pod('pod-w-priority-matching-default-priority', { priority: 2000 }),
  pod('pod-w-priority-matching-resolved-default-priority', { priorityClassName: 'system-cluster-critical', priority: 2_000_000_000 }),
  pod('pod-never-preemption-policy-matching-resolved-preemption-policy', { priorityClassName: 'nopreemptionpolicy', priority: 2000 }),
  pod('pod-preemption-policy-matching-resolved-preemption-policy', { priorityClassName: 'nopreemptionpolicy', priority: 2000, preemptionPolicy: 'PreemptLowerPriority' }),
  pod('pod-preemption-policy-not-matching-resolved-preemption-policy', { priorityClassName: 'nopreemptionpolicy', priority: 2000, preemptionPolicy: 'Never' }),
];

interface PodCase {
  name: string;
  classes: PriorityClass[];
  pod: Pod;
  priority?: number;
  policy?: PreemptionPolicy;
  /** The Forbidden message's reason, when refused. */
  error?: string;
}

// TestPodAdmission: 16 cases.
const POD_CASES: PodCase[] = [
  { name: 'Pod with priority class', classes: [defaultClass1, nondefaultClass1], pod: pods[0]!, priority: 1000 },
  { name: 'Pod without priority class', classes: [defaultClass1], pod: pods[1]!, priority: 1000 },
  { name: 'pod without priority class and no existing priority class', classes: [], pod: pods[1]!, priority: 0 },
  { name: 'pod without priority class and no default class', classes: [nondefaultClass1], pod: pods[1]!, priority: 0 },
  { name: 'pod with a system priority class', classes: [systemClusterCritical], pod: pods[4]!, priority: 2_000_000_000 },
  { name: 'Pod with non-existing priority class', classes: [defaultClass1, nondefaultClass1], pod: pods[2]!, error: 'no PriorityClass with name non-existing was found' },
  // Upstream runs with no classes: the name default1 is not found before the integer is compared.
  { name: 'pod with integer priority', classes: [], pod: pods[3]!, error: 'no PriorityClass with name default1 was found' },
  { name: 'mirror pod with system priority class', classes: [systemClusterCritical], pod: pods[5]!, priority: 2_000_000_000 },
  { name: 'mirror pod with integer priority', classes: [], pod: pods[6]!, error: 'no PriorityClass with name default1 was found' },
  { name: 'pod with system critical priority in non-system namespace', classes: [systemClusterCritical], pod: pods[7]!, priority: 2_000_000_000 },
  { name: 'pod with priority that matches computed priority', classes: [nondefaultClass1], pod: pods[8]!, priority: 0 },
  { name: 'pod with priority that matches default priority', classes: [defaultClass2], pod: pods[9]!, priority: 2000 },
  { name: 'pod with priority that matches resolved priority', classes: [systemClusterCritical], pod: pods[10]!, priority: 2_000_000_000 },
  { name: 'pod with nil preemtpion policy', classes: [preemptionPolicyClass], pod: pods[11]!, priority: 2000, policy: 'PreemptLowerPriority' },
  { name: 'pod with preemtpion policy that matches resolved preemtpion policy', classes: [preemptionPolicyClass], pod: pods[12]!, priority: 2000, policy: 'PreemptLowerPriority' },
  {
    name: "pod with preemtpion policy that does't matches resolved preemtpion policy",
    classes: [preemptionPolicyClass],
    pod: pods[13]!,
    error: 'the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name',
  },
];

describe(`priority admission of pods (${SOURCE} TestPodAdmission, Kubernetes 1.32)`, () => {
  it.each(POD_CASES)('$name', (c) => {
    const decided = admitPodPriority(c.pod, c.classes);
    if (c.error !== undefined) {
      expect(decided.ok).toBe(false);
      if (!decided.ok) expect(decided.error).toMatchObject({ code: 403, reason: 'Forbidden', message: `pods "${c.pod.metadata.name}" is forbidden: ${c.error}` });
      return;
    }
    expect(decided.ok).toBe(true);
    if (!decided.ok) return;
    expect(decided.pod.spec.priority).toBe(c.priority);
    if (c.policy) expect(decided.pod.spec.preemptionPolicy).toBe(c.policy);
  });

  it('refuses a priority the class does not give, with the computed value in the message', () => {
    const decided = admitPodPriority(pod('x', { priorityClassName: 'default1', priority: 5 }), [defaultClass1]);
    expect(decided).toMatchObject({
      ok: false,
      error: { code: 403, message: 'pods "x" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name' },
    });
  });
});

// TestPriorityClassAdmission: 3 cases (the third: a system class name passes admission; validation decides).
const CLASS_CASES = [
  { name: 'one default class', existing: [], created: defaultClass1, error: undefined },
  { name: 'more than one default classes', existing: [defaultClass1], created: defaultClass2, error: 'priorityclasses.scheduling.k8s.io "default2" is forbidden: PriorityClass default1 is already marked as default. Only one default can exist' },
  { name: 'system name and value are allowed by admission controller', existing: [], created: pc('system-test', 1_000_000_001, false), error: undefined },
];

describe(`priority admission of PriorityClasses (${SOURCE} TestPriorityClassAdmission)`, () => {
  it.each(CLASS_CASES)('$name', (c) => {
    const refused = admitPriorityClass(c.created, c.existing, 'create');
    expect(refused?.message).toBe(c.error);
  });
});

// TestDefaultPriority: 5 cases, the default before and after a change of the classes.
const DEFAULT_CASES = [
  { name: 'simple resolution with a default class', before: [defaultClass1], after: [defaultClass1], expectBefore: ['default1', 1000], expectAfter: ['default1', 1000] },
  { name: 'add a default class', before: [nondefaultClass1], after: [nondefaultClass1, defaultClass1], expectBefore: ['', 0], expectAfter: ['default1', 1000] },
  { name: 'multiple default classes resolves to the minimum value among them', before: [defaultClass1, defaultClass2], after: [defaultClass2], expectBefore: ['default1', 1000], expectAfter: ['default2', 2000] },
  { name: 'delete default priority class', before: [defaultClass1], after: [], expectBefore: ['default1', 1000], expectAfter: ['', 0] },
  { name: 'update default class and remove its global default', before: [defaultClass1], after: [{ ...defaultClass1, globalDefault: false }], expectBefore: ['default1', 1000], expectAfter: ['', 0] },
];

describe(`the global default class (${SOURCE} TestDefaultPriority)`, () => {
  const resolved = (classes: PriorityClass[]) => {
    const found = defaultPriorityClass(classes);
    const admitted = admitPodPriority(pod('p'), classes);
    return [found?.metadata.name ?? '', admitted.ok ? admitted.pod.spec.priority : NaN];
  };
  it.each(DEFAULT_CASES)('$name', (c) => {
    expect(resolved(c.before)).toEqual(c.expectBefore);
    expect(resolved(c.after)).toEqual(c.expectAfter);
  });
});
