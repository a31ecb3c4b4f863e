/** Defaulting: the image pull policy, and limits copied into requests (Pods only). */
import { describe, expect, test } from 'vitest';
import { applyDefaults, defaultPullPolicy } from '../defaults';
import { makeDeployment, makePod } from '../factories';
import type { ResourceRequirements } from '../pod';
import { caseTitle, k8s, type K8sCase } from './source';

const PARSERS = 'pkg/util/parsers/parsers_test.go';
const DEFAULTS = 'pkg/apis/core/v1/defaults_test.go';
const DIGEST = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

interface PullCase extends K8sCase {
  image: string;
  policy: 'Always' | 'IfNotPresent';
}
// SetDefaults_Container: Always exactly when ParseImageName yields the tag `latest` (which it
// assumes when there is neither tag nor digest); a reference it refuses has no tag: IfNotPresent.
// The references are TestParseImageName's.
const PULL_CASES: PullCase[] = (
  [
    ['root', 'Always'],
    ['root:tag', 'IfNotPresent'],
    [`root@${DIGEST}`, 'IfNotPresent'],
    ['user/repo', 'Always'],
    ['user/repo:tag', 'IfNotPresent'],
    [`user/repo@${DIGEST}`, 'IfNotPresent'],
    ['url:5000/repo', 'Always'],
    ['url:5000/repo:tag', 'IfNotPresent'],
    [`url:5000/repo@${DIGEST}`, 'IfNotPresent'],
    [`url:5000/repo:latest@${DIGEST}`, 'Always'],
    ['ROOT', 'IfNotPresent'],
    ['http://root', 'IfNotPresent'],
    [DIGEST.slice('sha256:'.length), 'IfNotPresent'],
  ] as const
).map(([image, policy]) => ({ source: k8s(PARSERS, 'TestParseImageName'), image, policy }));

describe('image pull policy default, case for case with Kubernetes', () => {
  for (const c of PULL_CASES) {
    test(caseTitle(c, `${c.image} pulls ${c.policy}`), () => {
      expect(defaultPullPolicy(c.image)).toBe(c.policy);
    });
  }
});

interface RequestsCase extends K8sCase {
  name: string;
  resources: ResourceRequirements;
  /** The requests after defaulting a Pod with these resources. */
  podRequests: Record<string, string> | undefined;
}
const REQUESTS_CASES: RequestsCase[] = [
  { source: k8s(DEFAULTS, 'TestSetDefaultRequestsPod'), name: 'a limit becomes the request', resources: { limits: { cpu: '100m' } }, podRequests: { cpu: '100m' } },
  {
    source: k8s(DEFAULTS, 'TestSetDefaultRequestsPod'),
    name: 'a request that is set stays',
    resources: { limits: { cpu: '100m', memory: '1Gi' }, requests: { memory: '512Mi' } },
    podRequests: { cpu: '100m', memory: '512Mi' },
  },
  { source: k8s(DEFAULTS, 'TestSetDefaultRequestsPod'), name: 'no limits, no requests', resources: {}, podRequests: undefined },
];

describe('requests defaulted from limits, case for case with Kubernetes', () => {
  for (const c of REQUESTS_CASES) {
    test(caseTitle(c, c.name), () => {
      const pod = makePod('web-1');
      pod.spec.containers = [{ name: 'web', image: 'nginx:1.25', resources: c.resources }];
      expect(applyDefaults(pod).spec.containers[0]?.resources?.requests).toEqual(c.podRequests);
    });
  }

  const template: K8sCase = { source: k8s(DEFAULTS, 'TestDefaultRequestIsNotSetForReplicationController') };
  test(caseTitle(template, 'a workload template keeps its requests unset'), () => {
    const d = makeDeployment('web');
    d.spec.template.spec.containers = [{ name: 'web', image: 'nginx:1.25', resources: { limits: { cpu: '100m' } } }];
    expect(applyDefaults(d).spec.template.spec.containers[0]?.resources).toEqual({ limits: { cpu: '100m' } });
  });
});
