import { describe, expect, test } from 'vitest';
import { validateObject, validateObjectOfKind, fieldPath } from './validate';
import { makeDeployment, makeLease, makeNode, makePod, makeService } from './factories';
import { makeContainerRuntime, makeProxyTable } from './node-local';
import { KINDS, KubeObjectSchema, objectSchema, qualifiedKind, RESOURCE, API_VERSION } from './objects';
import type { KubeObject } from './objects';

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);

function expectInvalid(input: unknown): string {
  const result = validateObject(input);
  if (result.ok) throw new Error('expected the object to be rejected');
  return result.message;
}

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const QUANTITY_MSG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

describe('validateObject accepts what clients submit', () => {
  const submitted: [string, KubeObject][] = [
    ['Node', makeNode('node-1', { now: T0, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })],
    ['Pod', makePod('web-1', { requests: { cpu: '250m', memory: '128Mi' }, labels: { app: 'web' } })],
    ['Deployment', makeDeployment('web', { replicas: 3, requests: { cpu: 0.5 } })],
    ['Service', makeService('web', { app: 'web' }, 80, { targetPort: 'http' })],
    ['Lease', makeLease('node-1', 'kube-node-lease', 'node-1', 40, T0)],
    ['PriorityClass', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000, globalDefault: false, description: 'batch that may wait' }],
    ['ContainerRuntime', makeContainerRuntime('node-1')],
    ['ProxyTable', makeProxyTable('node-1')],
    [
      'ReplicaSet',
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'web-7d4f9bc5d8', namespace: 'default' },
        spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
      },
    ],
    [
      'Endpoints',
      {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'web', namespace: 'default' },
        subsets: [
          {
            addresses: [{ ip: '10.244.1.5', nodeName: 'node-1', targetRef: { kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u1' } }],
            notReadyAddresses: [{ ip: '10.244.2.7', nodeName: 'node-2' }],
            ports: [{ port: 8080, protocol: 'TCP' }],
          },
        ],
      },
    ],
    [
      'Event',
      {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'web-1.1879a2b3c4d5e6f7', namespace: 'default' },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'web-1', namespace: 'default' },
        reason: 'FailedScheduling',
        message: '0/3 nodes are available: 3 Insufficient cpu.',
        type: 'Warning',
        source: { component: 'default-scheduler' },
        firstTimestamp: '2026-11-25T10:00:00Z',
        lastTimestamp: '2026-11-25T10:00:05Z',
        count: 2,
        reportingComponent: 'default-scheduler',
      },
    ],
  ];

  test('[API] every kind has a sample here', () => {
    expect(new Set(submitted.map(([k]) => k))).toEqual(new Set(KINDS));
  });

  test.each(submitted)('[API] a %s without uid, resourceVersion or creationTimestamp is valid', (_kind, obj) => {
    const result = validateObject(JSON.parse(JSON.stringify(obj)));
    expect(result).toEqual({ ok: true, object: obj });
    expect(KubeObjectSchema.safeParse(obj).success).toBe(true);
  });

  test('[API] metadata.namespace defaults to "default" for namespaced kinds', () => {
    const result = validateObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    expect(result.ok && result.object.metadata.namespace).toBe('default');
  });

  test('[API] a cluster-scoped Node drops a submitted namespace', () => {
    const result = validateObject({ ...makeNode('node-1'), metadata: { name: 'node-1', namespace: 'default' } });
    expect(result.ok && result.object.metadata).toEqual({ name: 'node-1' });
  });

  test('[quantity] JSON numbers become quantity strings', () => {
    const pod = makePod('p');
    const input = JSON.parse(JSON.stringify(pod)) as { spec: { containers: { resources?: unknown }[] } };
    input.spec.containers[0]!.resources = { requests: { cpu: 2, memory: 1024 } };
    const result = validateObject(input);
    expect(result.ok && result.object.kind === 'Pod' && result.object.spec.containers[0]?.resources?.requests).toEqual({ cpu: '2', memory: '1024' });
  });

  test('[API] stored metadata round-trips', () => {
    const pod = makePod('p', { uid: 'abc' });
    pod.metadata = { ...pod.metadata, resourceVersion: '42', generation: 1, creationTimestamp: '2026-11-25T10:00:00Z', deletionTimestamp: '2026-11-25T10:01:00Z', deletionGracePeriodSeconds: 30 };
    expect(validateObject(pod)).toEqual({ ok: true, object: pod });
  });
});

describe('validateObject rejects, in Kubernetes words', () => {
  test('[ValidateObjectMeta] a Pod name must be a DNS-1123 subdomain', () => {
    expect(expectInvalid(makePod('Web_1'))).toBe(`Pod "Web_1" is invalid: metadata.name: Invalid value: "Web_1": ${SUBDOMAIN_MSG}`);
  });

  test('[ValidateObjectMeta] a container name must be a DNS-1123 label', () => {
    const pod = makePod('web-1');
    pod.spec.containers[0] = { name: 'web.1', image: 'nginx' };
    expect(expectInvalid(pod)).toBe(`Pod "web-1" is invalid: spec.containers[0].name: Invalid value: "web.1": ${LABEL_MSG}`);
  });

  test.each(['-web', 'web-', 'WEB', 'web..1', 'a'.repeat(254), 'we b'])('[ValidateObjectMeta] name %j is invalid', (name) => {
    expect(expectInvalid(makePod(name))).toContain(`metadata.name: Invalid value: ${JSON.stringify(name)}: `);
  });

  test.each(['a', 'web-1', '123-abc', 'web.v1', 'a'.repeat(253)])('[ValidateObjectMeta] name %j is valid', (name) => {
    expect(validateObject(makePod(name)).ok).toBe(true);
  });

  test('[ValidateObjectMeta] a name longer than 253 characters says so first', () => {
    expect(expectInvalid({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n'.repeat(254) } })).toBe(
      `Node "${'n'.repeat(254)}" is invalid: metadata.name: Invalid value: "${'n'.repeat(254)}": must be no more than 253 characters`,
    );
  });

  test('[ValidateObjectMeta] a missing name is required', () => {
    expect(expectInvalid({ apiVersion: 'v1', kind: 'Node', metadata: {} })).toBe(
      'Node "" is invalid: metadata.name: Required value: name or generateName is required',
    );
  });

  test('[ValidateService] a Service name must be a DNS-1035 label (start with a letter)', () => {
    expect(expectInvalid(makeService('1web', { app: 'web' }, 80))).toContain(
      "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    );
  });

  test.each([
    ['abc', QUANTITY_MSG],
    ['1.5.5', QUANTITY_MSG],
    ['-1', 'must be greater than or equal to 0'],
    ['1Gu', "unable to parse quantity's suffix"],
  ])('[ValidateResourceRequirements] requests cpu %j: %s', (q, reason) => {
    expect(expectInvalid(makePod('web-1', { requests: { cpu: q } }))).toBe(
      `Pod "web-1" is invalid: spec.containers[0].resources.requests[cpu]: Invalid value: "${q}": ${reason}`,
    );
  });

  test('[ValidateNode] node allocatable quantities are checked too', () => {
    const node = makeNode('node-1', { memory: 'lots' });
    expect(expectInvalid(node)).toContain(`status.capacity[memory]: Invalid value: "lots": ${QUANTITY_MSG}`);
  });

  test('[API] several errors are listed as an aggregate [a, b]', () => {
    expect(expectInvalid(makePod('Web_1', { limits: { memory: 'abc' } }))).toBe(
      `Pod "Web_1" is invalid: [metadata.name: Invalid value: "Web_1": ${SUBDOMAIN_MSG}, spec.containers[0].resources.limits[memory]: Invalid value: "abc": ${QUANTITY_MSG}]`,
    );
  });

  test('[API] enum fields answer Unsupported value', () => {
    const pod = makePod('p');
    expect(expectInvalid({ ...pod, spec: { ...pod.spec, restartPolicy: 'Sometimes' } })).toBe(
      'Pod "p" is invalid: spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    );
  });

  test('[API] a missing required field answers Required value', () => {
    expect(expectInvalid({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} })).toBe('Pod "p" is invalid: spec.containers: Required value');
  });

  test('[API] other zod issues keep their path in field form', () => {
    const svc = makeService('web', { app: 'web' }, 80);
    const message = expectInvalid({ ...svc, spec: { ...svc.spec, selector: { app: 7 } } });
    expect(message).toMatch(/^Service "web" is invalid: spec\.selector\[app\]: Invalid value: 7: /);
  });

  test('[ValidateDeployment] the selector must match the template labels', () => {
    const d = makeDeployment('web');
    d.spec.template.metadata = { labels: { app: 'api' } };
    expect(expectInvalid(d)).toBe(
      'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: {"app":"api"}: `selector` does not match template `labels`',
    );
  });

  test('[ValidateDeployment] maxSurge must be an integer or a percentage', () => {
    const d = makeDeployment('web');
    d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25' } };
    expect(expectInvalid(d)).toContain(
      "spec.strategy.rollingUpdate.maxSurge: Invalid value: \"25\": a valid percent string must be a numeric string followed by an ending '%'",
    );
  });

  test('[ValidateTolerations] an empty key needs operator Exists', () => {
    const pod = makePod('p', { tolerations: [{ operator: 'Equal', value: 'x' }] });
    expect(expectInvalid(pod)).toContain('spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty');
  });

  test('[ContainerState] exactly one of waiting, running, terminated', () => {
    const pod = makePod('p');
    pod.status = { phase: 'Pending', containerStatuses: [{ name: 'app', image: 'nginx', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] };
    expect(validateObject(pod).ok).toBe(true);
    const twoStates = JSON.parse(JSON.stringify(pod)) as { status: { containerStatuses: { state: unknown }[] } };
    twoStates.status.containerStatuses[0]!.state = { waiting: {}, running: {} };
    expect(expectInvalid(twoStates)).toContain('status.containerStatuses[0].state: Invalid value: ');
  });

  test('[API] unknown kind is a BadRequest', () => {
    const result = validateObject({ apiVersion: 'v1', kind: 'Ingress', metadata: { name: 'x' } });
    expect(result).toMatchObject({ ok: false, message: 'no kind "Ingress" is registered for version "v1"', error: { code: 400, reason: 'BadRequest' } });
  });

  test('[API] a kind under the wrong apiVersion is a BadRequest', () => {
    const d = { ...makeDeployment('web'), apiVersion: 'v1' };
    expect(expectInvalid(d)).toBe('no kind "Deployment" is registered for version "v1"');
  });

  test('[API] missing kind', () => {
    expect(expectInvalid({ metadata: { name: 'x' } })).toMatch(/^Object 'Kind' is missing in /);
    expect(expectInvalid('pod')).toMatch(/must be a JSON object/);
  });

  test('[API] the Invalid status lists causes', () => {
    const result = validateObject(makePod('Web_1'));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatchObject({ code: 422, reason: 'Invalid', details: { name: 'Web_1', kind: 'Pod', causes: [{ reason: 'FieldValueInvalid', field: 'metadata.name' }] } });
    }
  });

  test('[API] validateObjectOfKind refuses another kind', () => {
    expect(validateObjectOfKind('Pod', makeNode('n')).ok).toBe(false);
    expect(validateObjectOfKind('Node', makeNode('n')).ok).toBe(true);
  });
});

describe('registry', () => {
  test.each([
    ['Pod', 'pods', 'Pod', 'v1'],
    ['Node', 'nodes', 'Node', 'v1'],
    ['Deployment', 'deployments.apps', 'Deployment.apps', 'apps/v1'],
    ['ReplicaSet', 'replicasets.apps', 'ReplicaSet.apps', 'apps/v1'],
    ['Lease', 'leases.coordination.k8s.io', 'Lease.coordination.k8s.io', 'coordination.k8s.io/v1'],
    ['Endpoints', 'endpoints', 'Endpoints', 'v1'],
    ['PriorityClass', 'priorityclasses.scheduling.k8s.io', 'PriorityClass.scheduling.k8s.io', 'scheduling.k8s.io/v1'],
  ] as const)('[API] %s is served as %s (%s, %s)', (kind, resource, qualified, apiVersion) => {
    expect(RESOURCE[kind]).toBe(resource);
    expect(qualifiedKind(kind)).toBe(qualified);
    expect(API_VERSION[kind]).toBe(apiVersion);
    expect(objectSchema(kind)).toBeDefined();
  });

  test.each([
    [['metadata', 'labels', 'app.kubernetes.io/name'], 'Pod', 'metadata.labels[app.kubernetes.io/name]'],
    [['spec', 'selector', 'matchLabels', 'app'], 'Deployment', 'spec.selector.matchLabels[app]'],
    [['spec', 'selector', 'app'], 'Service', 'spec.selector[app]'],
    [['spec', 'containers', 0, 'ports', 1, 'containerPort'], 'Pod', 'spec.containers[0].ports[1].containerPort'],
  ] as const)('[field path] %j renders as %s', (path, kind, expected) => {
    expect(fieldPath(path, kind)).toBe(expected);
  });
});
