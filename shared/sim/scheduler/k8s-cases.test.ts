/**
 * The scheduler's plugins, case for case with Kubernetes' own tables. Quantities keep upstream's
 * units: `cpu: '3000'` is 3000 cores, `memory: '5000'` 5000 bytes.
 */
import { describe, expect, test } from 'vitest';
import { LABEL_HOSTNAME, type Affinity, type Node, type Pod } from '@shared/model';
import { caseTitle, k8s, type K8sCase } from '@shared/model/k8s-cases/source';
import { ClusterState } from '../state';
import { filterNode } from './filters';
import { leastAllocated } from './scores';

type Res = Record<string, string>;

function node(name: string, allocatable: Res | undefined, labels: Record<string, string> = {}): Node {
  const n: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { [LABEL_HOSTNAME]: name, ...labels } }, spec: {} };
  n.status = { conditions: [{ type: 'Ready', status: 'True' }], ...(allocatable && { capacity: allocatable, allocatable }) };
  return n;
}

let seq = 0;
function pod(containers: Res[], opts: { node?: string; labels?: Record<string, string>; affinity?: Affinity } = {}): Pod {
  const p: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${++seq}`, namespace: 'default', labels: opts.labels ?? {}, uid: `uid-${seq}` },
    spec: { containers: containers.map((requests, i) => ({ name: `c${i}`, image: 'nginx:1.27', resources: { requests } })) },
    status: { phase: opts.node ? 'Running' : 'Pending' },
  };
  if (opts.node) p.spec.nodeName = opts.node;
  if (opts.affinity) p.spec.affinity = opts.affinity;
  return p;
}

const SCORE = 'pkg/scheduler/framework/plugins/noderesources/least_allocated_test.go';
interface ScoreCase extends K8sCase {
  name: string;
  pod: Pod;
  nodes: Node[];
  existing: Pod[];
  scores: number[];
}
const req = [{ cpu: '1000', memory: '2000' }, { cpu: '2000', memory: '3000' }];
const s = (name: string, p: Pod, nodes: Node[], existing: Pod[], scores: number[]): ScoreCase => ({
  source: k8s(SCORE, `TestLeastAllocatedScoringStrategy/${name}`),
  name,
  pod: p,
  nodes,
  existing,
  scores,
});
const n4 = (name: string): Node => node(name, { cpu: '4000', memory: '10000' });
const n10 = (name: string, memory = '20000'): Node => node(name, { cpu: '10000', memory });
const SCORE_CASES: ScoreCase[] = [
  s('nothing scheduled, nothing requested', pod([]), [n4('node1'), n4('node2')], [], [100, 100]),
  s('nothing scheduled, resources requested, differently sized nodes', pod(req), [n4('node1'), node('node2', { cpu: '6000', memory: '10000' })], [], [37, 50]),
  s('no resources requested, pods scheduled', pod([]), [n4('node1'), n4('node2')], [pod([], { node: 'node1' }), pod([], { node: 'node1' }), pod([], { node: 'node2' }), pod([], { node: 'node2' })], [100, 100]),
  s('no resources requested, pods scheduled with resources', pod([]), [n10('node1'), n10('node2')], [
    pod([{ cpu: '3000', memory: '0' }], { node: 'node1' }),
    pod([{ cpu: '3000', memory: '0' }], { node: 'node1' }),
    pod([{ cpu: '3000', memory: '0' }], { node: 'node2' }),
    pod([{ cpu: '3000', memory: '5000' }], { node: 'node2' }),
  ], [70, 57]),
  s('resources requested, pods scheduled with resources', pod(req), [n10('node1'), n10('node2')], [
    pod([{ cpu: '3000', memory: '0' }], { node: 'node1' }),
    pod([{ cpu: '3000', memory: '5000' }], { node: 'node2' }),
  ], [57, 45]),
  s('resources requested, pods scheduled with resources, differently sized nodes', pod(req), [n10('node1'), n10('node2', '50000')], [
    pod([{ cpu: '3000', memory: '0' }], { node: 'node1' }),
    pod([{ cpu: '3000', memory: '5000' }], { node: 'node2' }),
  ], [57, 60]),
  s('requested resources exceed node capacity', pod([{ cpu: '3000', memory: '0' }]), [n4('node1'), n4('node2')], [
    pod([{ cpu: '3000', memory: '0' }], { node: 'node1' }),
    pod([{ cpu: '3000', memory: '5000' }], { node: 'node2' }),
  ], [50, 25]),
  s('zero node resources, pods scheduled with resources', pod([]), [node('node1', undefined), node('node2', undefined)], [
    pod([{ cpu: '3000', memory: '0' }], { node: 'node1' }),
    pod([{ cpu: '3000', memory: '5000' }], { node: 'node2' }),
  ], [0, 0]),
];

describe('[NodeResourcesFit] LeastAllocated, case for case with Kubernetes', () => {
  for (const c of SCORE_CASES) {
    test(caseTitle(c, c.name), () => {
      const state = ClusterState.from([...c.nodes, ...c.existing]);
      expect(c.nodes.map((n) => leastAllocated(c.pod, n, state.usageOf(n.metadata.name)))).toEqual(c.scores);
    });
  }
  const defaults: K8sCase = { source: k8s('pkg/scheduler/util/pod_resources_test.go', 'TestGetNonZeroRequest') };
  test(caseTitle(defaults, 'a container that sets nothing counts 100m CPU and 200Mi memory; one set to 0 counts 0'), () => {
    const big = node('node1', { cpu: '1', memory: '1Gi' });
    // cpu (1000-100)/1000 = 90, memory (1024-200)/1024 = 80 -> 85; with explicit zeros: 100.
    expect(leastAllocated(pod([{}]), big, ClusterState.from([big]).usageOf('node1'))).toBe(85);
    expect(leastAllocated(pod([{ cpu: '0', memory: '0' }]), big, ClusterState.from([big]).usageOf('node1'))).toBe(100);
  });
});

const FIT = 'pkg/scheduler/framework/plugins/noderesources/fit_test.go';
interface FitCase extends K8sCase {
  name: string;
  /** Each of `containers` containers requests `pod`. */
  pod: Res;
  containers: number;
  existing: Res;
  reasons: string[];
}
const f = (name: string, podReq: Res, existing: Res, reasons: string[], containers = 1): FitCase => ({
  source: k8s(FIT, `TestEnoughRequests/${name}`),
  name,
  pod: podReq,
  existing,
  reasons,
  containers,
});
// The node: 10 millicores, 20 bytes, 32 pods, 5 example.com/aaa, 20 bytes ephemeral-storage, 5 hugepages-2Mi.
const FIT_NODE: Res = { cpu: '10m', memory: '20', pods: '32', 'example.com/aaa': '5', 'ephemeral-storage': '20', 'hugepages-2Mi': '5' };
const FIT_CASES: FitCase[] = [
  f('no resources requested always fits', {}, { cpu: '10m', memory: '20' }, []),
  f('too many resources fails', { cpu: '1m', memory: '1' }, { cpu: '10m', memory: '20' }, ['Insufficient cpu', 'Insufficient memory']),
  f('both resources fit', { cpu: '1m', memory: '1' }, { cpu: '5m', memory: '5' }, []),
  f('one resource memory fits', { cpu: '2m', memory: '1' }, { cpu: '9m', memory: '5' }, ['Insufficient cpu']),
  f('one resource cpu fits', { cpu: '1m', memory: '2' }, { cpu: '5m', memory: '19' }, ['Insufficient memory']),
  f('equal edge case', { cpu: '5m', memory: '1' }, { cpu: '5m', memory: '19' }, []),
  f('extended resource fits', { 'example.com/aaa': '1' }, {}, []),
  f('extended resource capacity enforced', { 'example.com/aaa': '10' }, {}, ['Insufficient example.com/aaa']),
  f('extended resource allocatable enforced', { 'example.com/aaa': '1' }, { 'example.com/aaa': '5' }, ['Insufficient example.com/aaa']),
  f('extended resource allocatable enforced for unknown resource', { 'example.com/bbb': '1' }, {}, ['Insufficient example.com/bbb']),
  f('hugepages resource capacity enforced', { 'hugepages-2Mi': '10' }, {}, ['Insufficient hugepages-2Mi']),
  f('hugepages resource allocatable enforced', { 'hugepages-2Mi': '3' }, { 'hugepages-2Mi': '3' }, ['Insufficient hugepages-2Mi']),
  f('extended resource allocatable enforced for multiple containers', { 'example.com/aaa': '3' }, { 'example.com/aaa': '2' }, ['Insufficient example.com/aaa'], 2),
  f('kubernetes.io resource capacity enforced', { 'kubernetes.io/something': '10' }, {}, ['Insufficient kubernetes.io/something']),
  f('hugepages resource allocatable enforced for multiple containers', { 'hugepages-2Mi': '3' }, { 'hugepages-2Mi': '2' }, ['Insufficient hugepages-2Mi'], 2),
  { ...f('ephemeral-storage over allocatable', { 'ephemeral-storage': '25' }, {}, ['Insufficient ephemeral-storage']), source: k8s(FIT, 'TestStorageRequests (rule)') },
  { ...f('ephemeral-storage within allocatable', { 'ephemeral-storage': '10' }, {}, []), source: k8s(FIT, 'TestStorageRequests (rule)') },
];

describe('[NodeResourcesFit] Filter, case for case with Kubernetes', () => {
  for (const c of FIT_CASES) {
    test(caseTitle(c, c.name), () => {
      const n = node('node1', FIT_NODE);
      const state = ClusterState.from([n, pod([c.existing], { node: 'node1' })]);
      expect(filterNode(state, pod(Array.from({ length: c.containers }, () => c.pod)), n)?.reasons ?? []).toEqual(c.reasons);
    });
  }
});

const AFFINITY = 'pkg/scheduler/framework/plugins/interpodaffinity/filtering_test.go';
const ZONE = 'topology.kubernetes.io/zone';
const REGION = 'topology.kubernetes.io/region';
const term = (labels: Record<string, string>, topologyKey: string) => ({ labelSelector: { matchLabels: labels }, topologyKey });
interface AffinityCase extends K8sCase {
  name: string;
  nodes: Node[];
  existing: Pod[];
  pod: Pod;
  /** Per node: '' when it fits, else the reason. */
  expect: string[];
}
const a = (name: string, nodes: Node[], existing: Pod[], p: Pod, expected: string[]): AffinityCase => ({
  // Scenarios of the rule that table checks, written for zone and region keys (its own cases use other labels).
  source: k8s(AFFINITY, 'TestRequiredAffinityMultipleNodes (rule)'),
  name,
  nodes,
  existing,
  pod: p,
  expect: expected,
});
const zoned = (name: string, zone: string | undefined, region = 'r1'): Node =>
  node(name, { cpu: '4', memory: '8Gi', pods: '110' }, zone === undefined ? { [REGION]: region } : { [ZONE]: zone, [REGION]: region });
const AFFINITY_RULE = "node(s) didn't match pod affinity rules";
const ANTI_RULE = "node(s) didn't match pod anti-affinity rules";
const EXISTING_RULE = "node(s) didn't satisfy existing pods anti-affinity rules";
const AFFINITY_CASES: AffinityCase[] = [
  a('affinity on a zone: every node of the zone where a matching pod runs fits, others do not',
    [zoned('n1', 'a'), zoned('n2', 'a'), zoned('n3', 'b')], [pod([], { node: 'n1', labels: { app: 'db' } })],
    pod([], { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, ZONE)] } } }),
    ['', '', AFFINITY_RULE]),
  a('affinity on a region: a node without the topology label never fits',
    [zoned('n1', 'a', 'r1'), zoned('n2', 'b', 'r1'), node('n3', { cpu: '4', memory: '8Gi', pods: '110' })], [pod([], { node: 'n2', labels: { app: 'db' } })],
    pod([], { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, REGION)] } } }),
    ['', '', AFFINITY_RULE]),
  a('the first pod of a group with affinity to itself may go to any node with the topology label',
    [zoned('n1', 'a'), zoned('n2', undefined)], [],
    pod([], { labels: { app: 'web' }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, ZONE)] } } }),
    ['', AFFINITY_RULE]),
  a('affinity to pods that match nobody, the pod not matching itself: no node fits',
    [zoned('n1', 'a'), zoned('n2', 'b')], [],
    pod([], { labels: { app: 'web' }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, ZONE)] } } }),
    [AFFINITY_RULE, AFFINITY_RULE]),
  a('anti-affinity on a zone keeps the pod out of the whole zone',
    [zoned('n1', 'a'), zoned('n2', 'a'), zoned('n3', 'b')], [pod([], { node: 'n1', labels: { app: 'web' } })],
    pod([], { labels: { app: 'web' }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, ZONE)] } } }),
    [ANTI_RULE, ANTI_RULE, '']),
  a("an existing pod's anti-affinity on a zone repels the newcomer from the whole zone",
    [zoned('n1', 'a'), zoned('n2', 'a'), zoned('n3', 'b')],
    [pod([], { node: 'n2', labels: { app: 'cache' }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, ZONE)] } } })],
    pod([], { labels: { app: 'web' } }),
    [EXISTING_RULE, EXISTING_RULE, '']),
  a('anti-affinity on the hostname only keeps the pod off that node',
    [zoned('n1', 'a'), zoned('n2', 'a')], [pod([], { node: 'n1', labels: { app: 'web' } })],
    pod([], { labels: { app: 'web' }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, LABEL_HOSTNAME)] } } }),
    [ANTI_RULE, '']),
];

describe('[InterPodAffinity] required terms on any topology key, case for case with Kubernetes', () => {
  for (const c of AFFINITY_CASES) {
    test(caseTitle(c, c.name), () => {
      const state = ClusterState.from([...c.nodes, ...c.existing]);
      expect(c.nodes.map((n) => filterNode(state, c.pod, n)?.reasons.join(', ') ?? '')).toEqual(c.expect);
    });
  }
});
