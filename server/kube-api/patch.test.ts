import { describe, expect, it } from 'vitest';
import { applyStrategicMergePatch } from './patch';

const deployment = {
  spec: {
    replicas: 3,
    template: {
      spec: {
        containers: [
          { name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }] },
          { name: 'log', image: 'busybox' },
        ],
      },
    },
  },
};

// Cases after k8s.io/apimachinery/pkg/util/strategicpatch/patch_test.go (merging lists by merge key,
// `$patch: delete` and `$patch: replace`, `$setElementOrder` directives), for the fields we model.
describe('strategic merge patch [strategicpatch]', () => {
  it('merges containers by name, keeping the fields the patch does not mention', () => {
    const patched = applyStrategicMergePatch(deployment, {
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }, { name: 'log' }], containers: [{ name: 'web', image: 'nginx:1.28' }] } } },
    });
    expect(patched).toEqual({ spec: { replicas: 3, template: { spec: { containers: [{ name: 'web', image: 'nginx:1.28', ports: [{ containerPort: 80 }] }, { name: 'log', image: 'busybox' }] } } } });
  });

  it('adds a container with a new name and deletes one with $patch: delete', () => {
    const patched = applyStrategicMergePatch(deployment, { spec: { template: { spec: { containers: [{ name: 'log', $patch: 'delete' }, { name: 'side', image: 'envoy' }] } } } });
    expect(patched).toEqual({ spec: { replicas: 3, template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }, { name: 'side', image: 'envoy' }] } } } });
  });

  it('replaces a map with $patch: replace and removes a field set to null', () => {
    expect(applyStrategicMergePatch({ a: { b: 1, c: 2 }, d: 1 }, { a: { $patch: 'replace', e: 3 }, d: null })).toEqual({ a: { e: 3 } });
  });

  it('replaces lists without a merge key (args) as a merge patch does', () => {
    expect(applyStrategicMergePatch({ args: ['a', 'b'] }, { args: ['c'] })).toEqual({ args: ['c'] });
  });

  it('merges Service ports on port', () => {
    expect(applyStrategicMergePatch({ ports: [{ port: 80, targetPort: 8080 }] }, { ports: [{ port: 80, name: 'http' }] })).toEqual({ ports: [{ port: 80, targetPort: 8080, name: 'http' }] });
  });
});
