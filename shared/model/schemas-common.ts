/**
 * Building blocks shared by the kind schemas: metadata, quantities, selectors, conditions.
 * Custom issues carry Kubernetes' field-error body (`Invalid value: "x": ...`) as their message;
 * `validate.ts` prefixes the field path.
 */
import { z } from 'zod';
import { nameErrors, dns1123LabelErrors, labelValueErrors, qualifiedNameErrors, type NameRule } from './names';
import { compareQuantities, quantityError } from './quantity';
import { RFC3339_PATTERN } from './time';

/** `Invalid value: "x": detail`, as field.Invalid renders a value. */
export function invalidValue(value: unknown, detail: string): string {
  return `Invalid value: ${renderValue(value)}: ${detail}`;
}

export function renderValue(value: unknown): string {
  if (value === undefined) return 'null';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return JSON.stringify(value);
  }
  const json = JSON.stringify(value) ?? 'null';
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

export const TimeSchema = z.string().regex(RFC3339_PATTERN, { error: (iss) => invalidValue(iss.input, 'must be an RFC 3339 time') });

export const StringMapSchema = z.record(z.string(), z.string());

/** ValidateLabels: every key a qualified name, every value a label value; errors on the map's own path. */
export const LabelsSchema = StringMapSchema.superRefine((labels, ctx) => {
  for (const [key, value] of Object.entries(labels)) {
    for (const detail of qualifiedNameErrors(key)) ctx.addIssue({ code: 'custom', message: invalidValue(key, detail), input: key });
    for (const detail of labelValueErrors(value)) ctx.addIssue({ code: 'custom', message: invalidValue(value, detail), input: value });
  }
});

type Issue = { path: (string | number)[]; message: string; input: unknown };

/**
 * The operator/values rules every selector requirement shares (ValidateLabelSelectorRequirement,
 * ValidateNodeSelectorRequirement): In/NotIn need values, Exists/DoesNotExist take none, Gt/Lt one.
 */
export function requirementIssues(req: { key: string; operator: string; values?: string[] | undefined }, checkValues: boolean): Issue[] {
  const issues: Issue[] = [];
  const count = req.values?.length ?? 0;
  if ((req.operator === 'In' || req.operator === 'NotIn') && count === 0) {
    issues.push({ path: ['values'], input: req.values, message: "Required value: must be specified when `operator` is 'In' or 'NotIn'" });
  } else if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && count > 0) {
    issues.push({ path: ['values'], input: req.values, message: "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'" });
  } else if ((req.operator === 'Gt' || req.operator === 'Lt') && count !== 1) {
    issues.push({ path: ['values'], input: req.values, message: "Required value: must be specified single value when `operator` is 'Lt' or 'Gt'" });
  }
  for (const detail of qualifiedNameErrors(req.key)) issues.push({ path: ['key'], input: req.key, message: invalidValue(req.key, detail) });
  if (checkValues) {
    (req.values ?? []).forEach((value, i) => {
      for (const detail of labelValueErrors(value)) issues.push({ path: ['values', i], input: value, message: invalidValue(value, detail) });
    });
  }
  return issues;
}

export const OPERATOR_MESSAGE = 'not a valid selector operator';

/** A quantity as submitted (string or JSON number), output as a string. */
export const QuantitySchema = z
  .union([z.string(), z.number()], { error: (iss) => invalidValue(iss.input, 'must be a quantity string') })
  .superRefine((value, ctx) => {
    const reason = quantityError(value);
    if (reason !== undefined) ctx.addIssue({ code: 'custom', message: invalidValue(String(value), reason), input: value });
  })
  .transform((value) => String(value));

/** Resource amounts (requests, limits, capacity, allocatable): quantities that must be >= 0. */
export const ResourceListSchema = z.record(
  z.string(),
  z
    .union([z.string(), z.number()], { error: (iss) => invalidValue(iss.input, 'must be a quantity string') })
    .superRefine((value, ctx) => {
      const reason = quantityError(value);
      if (reason !== undefined) {
        ctx.addIssue({ code: 'custom', message: invalidValue(String(value), reason), input: value });
      } else if (compareQuantities(value, 0) < 0) {
        ctx.addIssue({ code: 'custom', message: invalidValue(String(value), 'must be greater than or equal to 0'), input: value });
      }
    })
    .transform((value) => String(value)),
);

export const nonNegativeInt = () =>
  z
    .number()
    .int()
    .refine((n) => n >= 0, { error: (iss) => invalidValue(iss.input, 'must be greater than or equal to 0') });

/** intstr.IntOrString: an integer or a string (a port name, or a percentage such as `25%`). */
export const IntOrStringSchema = z.union([z.number().int(), z.string()]);

const PERCENT_MESSAGE =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** maxSurge / maxUnavailable: a non-negative integer or a percentage. */
export const IntOrPercentSchema = z.union([nonNegativeInt(), z.string()]).superRefine((value, ctx) => {
  if (typeof value === 'string' && !/^[0-9]+%$/.test(value)) {
    ctx.addIssue({ code: 'custom', message: invalidValue(value, PERCENT_MESSAGE), input: value });
  }
});

export const ConditionStatusSchema = z.enum(['True', 'False', 'Unknown']);

export const OwnerReferenceSchema = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});

/** v1.ObjectReference (Event.involvedObject, EndpointAddress.targetRef). */
export const ObjectReferenceSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  fieldPath: z.string().optional(),
});

export const LabelSelectorRequirementSchema = z
  .object({
    key: z.string(),
    operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist'], { error: (iss) => invalidValue(iss.input, OPERATOR_MESSAGE) }),
    values: z.array(z.string()).optional(),
  })
  .superRefine((req, ctx) => {
    for (const issue of requirementIssues(req, true)) ctx.addIssue({ code: 'custom', ...issue });
  });

/** metav1.LabelSelector (Deployment/ReplicaSet selectors, pod (anti-)affinity). */
export const LabelSelectorSchema = z.object({
  matchLabels: LabelsSchema.optional(),
  matchExpressions: z.array(LabelSelectorRequirementSchema).optional(),
});

function nameSchema(rule: NameRule) {
  return z
    .string({ error: () => 'Required value: name or generateName is required' })
    .superRefine((name, ctx) => {
      if (name === '') {
        ctx.addIssue({ code: 'custom', message: 'Required value: name or generateName is required', input: name });
        return;
      }
      for (const detail of nameErrors(rule, name)) {
        ctx.addIssue({ code: 'custom', message: invalidValue(name, detail), input: name });
      }
    });
}

const NamespaceSchema = z.string().superRefine((ns, ctx) => {
  for (const detail of dns1123LabelErrors(ns)) ctx.addIssue({ code: 'custom', message: invalidValue(ns, detail), input: ns });
});

const metaFields = {
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: TimeSchema.optional(),
  deletionTimestamp: TimeSchema.optional(),
  deletionGracePeriodSeconds: z.number().int().optional(),
  labels: LabelsSchema.optional(),
  annotations: StringMapSchema.optional(),
  ownerReferences: z.array(OwnerReferenceSchema).optional(),
  finalizers: z.array(z.string()).optional(),
};

/**
 * metadata of a namespaced kind: `namespace` defaults to "default". Names are DNS-1123 subdomains
 * unless the kind says otherwise (Services take DNS-1035 labels), as in Kubernetes 1.32.
 */
export function namespacedMetaSchema(rule: NameRule = 'dns1123Subdomain') {
  return z.object({ name: nameSchema(rule), namespace: NamespaceSchema.default('default'), ...metaFields });
}

/** metadata of a cluster-scoped kind (Node): a submitted namespace is dropped, as the API server clears it. */
export function clusterMetaSchema(rule: NameRule = 'dns1123Subdomain') {
  return z.object({ name: nameSchema(rule), ...metaFields });
}

/** The general shape every kind's metadata is assignable to. */
export interface ObjectMeta {
  name: string;
  namespace?: string | undefined;
  uid?: string | undefined;
  resourceVersion?: string | undefined;
  generation?: number | undefined;
  creationTimestamp?: string | undefined;
  deletionTimestamp?: string | undefined;
  deletionGracePeriodSeconds?: number | undefined;
  labels?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
  ownerReferences?: OwnerReference[] | undefined;
  finalizers?: string[] | undefined;
}

export type ConditionStatus = z.output<typeof ConditionStatusSchema>;
export type OwnerReference = z.output<typeof OwnerReferenceSchema>;
export type ObjectReference = z.output<typeof ObjectReferenceSchema>;
export type LabelSelector = z.output<typeof LabelSelectorSchema>;
export type LabelSelectorRequirement = z.output<typeof LabelSelectorRequirementSchema>;
export type IntOrString = z.output<typeof IntOrStringSchema>;
export type ResourceList = z.output<typeof ResourceListSchema>;
