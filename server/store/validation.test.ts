import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePod } from '@shared/model';
import { isApiError } from './api-error';
import { as, newClassroom, openStore, type OpenStore } from './testing/fixture';

let open: OpenStore;
beforeAll(async () => {
  open = await openStore();
});
afterAll(() => open.close());

async function refused(input: unknown) {
  const classroom = newClassroom();
  const error = await open.store.create(classroom, input, as('student:ada')).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isApiError(error)) throw new Error(`expected a refusal, got ${String(error)}`);
  // Nothing was written: no key of the classroom exists, not even the version counter.
  expect(await open.redis.keys(`*{${classroom}}*`)).toEqual([]);
  return error.status;
}

describe('validation at the API boundary: an invalid object is refused and nothing is written', () => {
  it('a name that is not a DNS-1123 subdomain (what Kubernetes requires of a Pod name)', async () => {
    const status = await refused(makePod('Web_1'));
    expect(status.reason).toBe('Invalid');
    expect(status.code).toBe(422);
    expect(status.message).toMatch(/^Pod "Web_1" is invalid: metadata\.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain must consist of/);
  });

  it('a bad quantity', async () => {
    const status = await refused(makePod('web-1', { requests: { cpu: '2 cores' } }));
    expect(status.reason).toBe('Invalid');
    expect(status.message).toContain('spec.containers[0].resources.requests[cpu]: Invalid value: "2 cores"');
  });

  it('the wrong shape (containers missing) and an unknown kind', async () => {
    const status = await refused({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1' }, spec: {} });
    expect(status).toMatchObject({ reason: 'Invalid', message: 'Pod "web-1" is invalid: spec.containers: Required value' });
    expect(await refused({ apiVersion: 'v1', kind: 'Pet', metadata: { name: 'rex' } })).toMatchObject({
      reason: 'BadRequest',
      message: 'no kind "Pet" is registered for version "v1"',
    });
  });

  it('an invalid update leaves the stored object and the log untouched', async () => {
    const classroom = newClassroom();
    const pod = await open.store.create(classroom, makePod('web-1'), as('a'));
    const error = await open.store.update(classroom, { ...pod, spec: { ...pod.spec, containers: [] } }, as('a')).catch((e: unknown) => e);
    expect(isApiError(error, 'Invalid')).toBe(true);
    const badPatch = await open.store.patch(classroom, { kind: 'Pod', name: 'web-1' }, { spec: { containers: [{ name: 'app', image: 'nginx', resources: { limits: { memory: '1Gb' } } }] } }, as('a')).catch((e: unknown) => e);
    expect(isApiError(badPatch, 'Invalid')).toBe(true);
    expect(await open.store.get(classroom, { kind: 'Pod', name: 'web-1' })).toEqual(pod);
    expect(await open.store.readLog(classroom, '0', 10)).toHaveLength(1);
  });
});
