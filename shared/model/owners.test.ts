import { describe, expect, test } from 'vitest';
import { controllerRef, isControlledBy, newControllerRef } from './owners';
import { makeDeployment, makePod } from './factories';

describe('owner references', () => {
  const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-7d4f9bc5d8', uid: 'rs-uid' } };

  test('[OwnerReference] newControllerRef sets controller and blockOwnerDeletion', () => {
    expect(newControllerRef(rs)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: 'web-7d4f9bc5d8',
      uid: 'rs-uid',
      controller: true,
      blockOwnerDeletion: true,
    });
  });

  test('[GetControllerOf] only the reference with controller: true counts', () => {
    const other = { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: 'cm-uid' };
    const pod = makePod('web-7d4f9bc5d8-x2b4k', { ownerReferences: [other, newControllerRef(rs)] });
    expect(controllerRef(pod)?.uid).toBe('rs-uid');
    expect(controllerRef(makePod('p', { ownerReferences: [other] }))).toBeUndefined();
    expect(controllerRef(makePod('p'))).toBeUndefined();
  });

  test('[IsControlledBy] compares uids, not names', () => {
    const pod = makePod('p', { ownerReferences: [newControllerRef(rs)] });
    expect(isControlledBy(pod, rs)).toBe(true);
    expect(isControlledBy(pod, { metadata: { name: 'web-7d4f9bc5d8', uid: 'recreated' } })).toBe(false);
    expect(isControlledBy(pod, makeDeployment('web'))).toBe(false); // no uid yet
  });
});
