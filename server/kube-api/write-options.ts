/**
 * A write's options (metav1 CreateOptions, UpdateOptions, PatchOptions, DeleteOptions) refused as
 * the API server refuses them: each handler validates its options (apimachinery's
 * pkg/apis/meta/v1/validation/validation.go, ValidateCreateOptions and its siblings) and answers
 * errors.NewInvalid(GroupKind{meta.k8s.io, "<Kind>Options"}, "", errs): 422 Invalid, `CreateOptions.meta.k8s.io "" is invalid: …`
 * (apiserver pkg/endpoints/handlers create.go, update.go, patch.go, delete.go).
 */
import type { StatusError } from '@shared/model';
import type { Verb } from './authorize';

type OptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions';

const OPTIONS_KIND: Partial<Record<Verb, OptionsKind>> = { create: 'CreateOptions', update: 'UpdateOptions', patch: 'PatchOptions', delete: 'DeleteOptions', deletecollection: 'DeleteOptions' };

/** A field.NotSupported error: `Unsupported value: <value>: supported values: "A", "B"`, the value as Go's %#v prints it. */
export interface NotSupported {
  field: string;
  /** Go's %#v of the value: `"x"` for a string, `[]string{"x"}` for a list. */
  value: string;
  supported: readonly string[];
}

/** Go's %q of an ASCII string, as %#v writes strings (JSON's escaping agrees for the printable ones). */
export const goQuote = (s: string): string => JSON.stringify(s);

/** `[]string{"a", "b"}`: Go's %#v of a []string. */
export const goStrings = (values: readonly string[]): string => `[]string{${values.map(goQuote).join(', ')}}`;

export function invalidOptions(verb: Verb, errors: readonly NotSupported[]): StatusError {
  const kind = OPTIONS_KIND[verb] ?? 'CreateOptions';
  const causes = errors.map((e) => ({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${e.value}: supported values: ${e.supported.map(goQuote).join(', ')}`, field: e.field }));
  const each = causes.map((c) => `${c.field}: ${c.message}`);
  // utilerrors.Aggregate: one error as itself, more in brackets.
  const aggregated = each.length === 1 ? each[0] : `[${each.join(', ')}]`;
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Invalid', code: 422,
    message: `${kind}.meta.k8s.io "" is invalid: ${aggregated}`,
    details: { group: 'meta.k8s.io', kind, causes },
  };
}

/** ValidateDryRun: every value must be `All` (metav1.DryRunAll). */
export function dryRunErrors(values: readonly string[]): NotSupported[] {
  return values.every((v) => v === 'All') ? [] : [{ field: 'dryRun', value: goStrings(values), supported: ['All'] }];
}
