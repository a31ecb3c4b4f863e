/**
 * PriorityClass validation, cases after Kubernetes 1.32 pkg/apis/scheduling/validation/validation_test.go
 * (TestValidatePriorityClass): names are DNS-1123 subdomains, `system-` names are reserved unless they are
 * the system classes with their values, and user values stop at HighestUserDefinablePriority.
 */
import { describe, expect, it } from 'vitest';
import { systemPriorityClasses, validateObject } from '@shared/model';

const SOURCE = 'pkg/apis/scheduling/validation/validation_test.go TestValidatePriorityClass (1.32)';
const pc = (name: string, value: number, extra: Record<string, unknown> = {}) => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...extra });

const VALID = [
  { name: 'simple', object: pc('tier1', 100) },
  { name: 'globalDefault', object: pc('tier1', 100, { globalDefault: true }) },
  { name: 'system node critical', object: systemPriorityClasses()[0] },
  { name: 'system cluster critical', object: systemPriorityClasses()[1] },
  { name: 'the highest user value', object: pc('top', 1_000_000_000) },
  { name: 'a negative value', object: pc('low', -100) },
];

const INVALID = [
  { name: 'invalid name', object: pc('tier&1', 100), message: 'PriorityClass.scheduling.k8s.io "tier&1" is invalid: metadata.name: Invalid value: "tier&1"' },
  { name: 'incorrect system class name', object: pc('system-cluster-critical', 1000), message: `metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only` },
  { name: 'incorrect system class value', object: pc('system-something', 2_000_000_000), message: `metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only` },
  { name: 'a user value above the highest', object: pc('tier1', 1_000_000_001), message: 'value: Forbidden: maximum allowed value of a user defined priority is 1000000000' },
];

describe(`PriorityClass validation (${SOURCE})`, () => {
  it.each(VALID)('accepts $name', (c) => {
    expect(validateObject(JSON.parse(JSON.stringify(c.object)))).toMatchObject({ ok: true });
  });
  it.each(INVALID)('refuses $name', (c) => {
    const result = validateObject(c.object);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatchObject({ code: 422, reason: 'Invalid' });
      expect(result.error.message).toContain(c.message);
    }
  });
});
