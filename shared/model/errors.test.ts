import { describe, expect, test } from 'vitest';
import { alreadyExists, badRequest, conflict, expired, forbidden, invalid, isStatusError, notFound, tooManyRequests } from './errors';

describe('API errors (metav1.Status)', () => {
  test.each([
    [
      'Conflict',
      conflict('Pod', 'web-1'),
      409,
      'Operation cannot be fulfilled on pods "web-1": the object has been modified; please apply your changes to the latest version and try again',
    ],
    ['AlreadyExists', alreadyExists('Pod', 'web-1'), 409, 'pods "web-1" already exists'],
    ['NotFound', notFound('Pod', 'web-1'), 404, 'pods "web-1" not found'],
    ['NotFound', notFound('Deployment', 'web'), 404, 'deployments.apps "web" not found'],
    ['NotFound', notFound('Lease', 'kube-scheduler'), 404, 'leases.coordination.k8s.io "kube-scheduler" not found'],
    ['Expired', expired(5, 20), 410, 'too old resource version: 5 (20)'],
    ['Forbidden', forbidden('Pod', 'web-1', 'User "alice" cannot delete resource'), 403, 'pods "web-1" is forbidden: User "alice" cannot delete resource'],
    ['Forbidden', forbidden('Node', '', 'only kubelets may create nodes'), 403, 'nodes is forbidden: only kubelets may create nodes'],
    ['BadRequest', badRequest('bad action'), 400, 'bad action'],
    ['TooManyRequests', tooManyRequests('slow down', 2), 429, 'slow down'],
  ] as const)('[api errors] %s: %s', (reason, error, code, message) => {
    expect(error).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code, message });
    expect(isStatusError(error)).toBe(true);
  });

  test('[api errors] details name the resource and its group, as Kubernetes does', () => {
    expect(notFound('Pod', 'web-1').details).toEqual({ name: 'web-1', kind: 'pods' });
    expect(conflict('ReplicaSet', 'web-abc').details).toEqual({ name: 'web-abc', group: 'apps', kind: 'replicasets' });
    expect(tooManyRequests('slow down', 2).details).toEqual({ retryAfterSeconds: 2 });
  });

  test('[api errors] Invalid (422) uses the qualified kind and lists causes', () => {
    const error = invalid('Deployment', 'web', [
      { field: 'spec.replicas', body: 'Invalid value: -1: must be greater than or equal to 0' },
      { field: 'spec.selector', body: 'Required value' },
    ]);
    expect(error).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: 'Deployment.apps "web" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.selector: Required value]',
      details: {
        name: 'web',
        group: 'apps',
        kind: 'Deployment',
        causes: [
          { reason: 'FieldValueInvalid', field: 'spec.replicas', message: 'Invalid value: -1: must be greater than or equal to 0' },
          { reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' },
        ],
      },
    });
  });

  test('[api errors] the type guard rejects other shapes', () => {
    expect(isStatusError({ ok: false })).toBe(false);
    expect(isStatusError(new Error('x'))).toBe(false);
    expect(isStatusError(null)).toBe(false);
  });
});
