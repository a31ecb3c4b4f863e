import { describe, expect, it } from 'vitest';
import { redactRequest } from './redact';

describe('request logs never hold a token', () => {
  it('replaces the token in a Kubernetes API path and the Authorization header', () => {
    const logged = redactRequest({
      id: 1,
      method: 'GET',
      url: '/k8s/0123456789abcdef.s3cr3t/api/v1/pods?watch=true',
      params: { token: '0123456789abcdef.s3cr3t' },
      headers: { host: 'x', authorization: 'Bearer 0123456789abcdef.s3cr3t' },
    });
    expect(JSON.stringify(logged)).not.toContain('s3cr3t');
    expect(logged).toEqual({ id: 1, method: 'GET', url: '/k8s/[token]/api/v1/pods?watch=true', params: {}, headers: { host: 'x', authorization: '[redacted]' } });
  });

  it('leaves other requests as they are', () => {
    expect(redactRequest({ url: '/api/classrooms/join', headers: { host: 'x' } })).toEqual({ url: '/api/classrooms/join', params: {}, headers: { host: 'x' } });
  });
});
