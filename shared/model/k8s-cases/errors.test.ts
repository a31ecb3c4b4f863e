/** `Invalid` errors: NewInvalid's message and causes, and how an error list aggregates. */
import { describe, expect, test } from 'vitest';
import { invalid, type FieldError } from '../errors';
import { caseTitle, k8s, type K8sCase } from './source';

const ERRORS = 'staging/src/k8s.io/apimachinery/pkg/api/errors/errors_test.go';
const FIELD = 'staging/src/k8s.io/apimachinery/pkg/util/validation/field/errors_test.go';

interface InvalidCase extends K8sCase {
  name: string;
  errors: FieldError[];
  message: string;
  causes: { reason: string; field: string }[];
}
const one = (name: string, body: string, reason: string): InvalidCase => ({
  source: k8s(ERRORS, 'TestNewInvalid'),
  name,
  errors: [{ field: 'field[0].name', body }],
  message: `Pod "name" is invalid: field[0].name: ${body}`,
  causes: [{ reason, field: 'field[0].name' }],
});
const INVALID_CASES: InvalidCase[] = [
  one('Duplicate', 'Duplicate value: "bar"', 'FieldValueDuplicate'),
  one('Invalid', 'Invalid value: "bar": detail', 'FieldValueInvalid'),
  one('NotFound', 'Not found: "bar"', 'FieldValueNotFound'),
  one('NotSupported', 'Unsupported value: "bar"', 'FieldValueNotSupported'),
  one('Required', 'Required value', 'FieldValueRequired'),
  { source: k8s(ERRORS, 'TestNewInvalid'), name: 'no errors', errors: [], message: 'Pod "name" is invalid', causes: [] },
  one('TooLong', 'Too long: may not be more than 10 bytes', 'FieldValueTooLong'),
  one('TooMany', 'Too many: 3: must have at most 2 items', 'FieldValueTooMany'),
  one('Forbidden', 'Forbidden: not allowed', 'FieldValueForbidden'),
  // ToAggregate prints each distinct error once; the causes keep every error.
  {
    source: k8s(FIELD, 'TestToAggregate'),
    name: 'a repeated error prints once',
    errors: [
      { field: 'spec.x', body: 'Required value' },
      { field: 'spec.x', body: 'Required value' },
    ],
    message: 'Pod "name" is invalid: spec.x: Required value',
    causes: [
      { reason: 'FieldValueRequired', field: 'spec.x' },
      { reason: 'FieldValueRequired', field: 'spec.x' },
    ],
  },
  {
    source: k8s(FIELD, 'TestToAggregate'),
    name: 'distinct errors print as a bracketed list, in order',
    errors: [
      { field: 'spec.b', body: 'Required value' },
      { field: 'spec.a', body: 'Invalid value: 1: detail' },
      { field: 'spec.b', body: 'Required value' },
    ],
    message: 'Pod "name" is invalid: [spec.b: Required value, spec.a: Invalid value: 1: detail]',
    causes: [
      { reason: 'FieldValueRequired', field: 'spec.b' },
      { reason: 'FieldValueInvalid', field: 'spec.a' },
      { reason: 'FieldValueRequired', field: 'spec.b' },
    ],
  },
];

describe('Invalid errors, case for case with Kubernetes', () => {
  for (const c of INVALID_CASES) {
    test(caseTitle(c, c.name), () => {
      const error = invalid('Pod', 'name', c.errors);
      expect(error).toMatchObject({ code: 422, reason: 'Invalid', message: c.message, details: { kind: 'Pod', name: 'name' } });
      expect(error.details?.causes?.map((x) => ({ reason: x.reason, field: x.field }))).toEqual(c.causes);
    });
  }
});
