/**
 * The selectors of list and watch requests (`?labelSelector=app=web,tier in (a,b)` and
 * `?fieldSelector=spec.nodeName=node-1`), and the selector strings the tables print, in the syntax
 * of apimachinery's labels and fields packages.
 */
import { badRequest, type Event, type KubeObject, type LabelSelector } from '@shared/model';
import { ApiError } from '../store';

type Operator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!';
interface Requirement {
  key: string;
  op: Operator;
  values: string[];
}

export type Match = (object: KubeObject) => boolean;

/** Splits at the commas outside parentheses. */
function terms(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim() !== '' || out.length) out.push(current.trim());
  return out;
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;

function requirement(term: string, selector: string): Requirement {
  const fail = (): never => {
    throw new ApiError(badRequest(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt in label selector ${JSON.stringify(selector)}`));
  };
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (set) return { key: set[1] ?? '', op: set[2] as 'in' | 'notin', values: (set[3] ?? '').split(',').map((v) => v.trim()).filter(Boolean) };
  const eq = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (eq) return { key: eq[1] ?? '', op: eq[2] === '!=' ? '!=' : '=', values: [eq[3] ?? ''] };
  if (term.startsWith('!') && KEY.test(term.slice(1).trim())) return { key: term.slice(1).trim(), op: '!', values: [] };
  if (KEY.test(term)) return { key: term, op: 'exists', values: [] };
  return fail();
}

function holds(req: Requirement, value: string | undefined): boolean {
  switch (req.op) {
    case '=':
      return value === req.values[0];
    case '!=':
      return value !== req.values[0];
    case 'in':
      return value !== undefined && req.values.includes(value);
    case 'notin':
      return value === undefined || !req.values.includes(value);
    case 'exists':
      return value !== undefined;
    case '!':
      return value === undefined;
  }
}

/** A `labelSelector` query value; an empty one selects everything. */
export function parseLabelSelector(selector: string | undefined): Match {
  if (!selector?.trim()) return () => true;
  const reqs = terms(selector).map((t) => requirement(t, selector));
  return (o) => reqs.every((r) => holds(r, o.metadata.labels?.[r.key]));
}

/** An Event's field, or undefined for another kind. */
const ofEvent =
  (read: (e: Event) => string | undefined) =>
  (o: KubeObject): string | undefined =>
    o.kind === 'Event' ? (read(o) ?? '') : undefined;

/**
 * The fields each kind may be selected by: Kubernetes' field label conversions for the kinds we serve
 * (pkg/apis/core/v1/conversion.go) with the values of pkg/registry/core/event/strategy.go's ToSelectableFields.
 */
const FIELDS: Record<string, (o: KubeObject) => string | undefined> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace ?? '',
  'spec.nodeName': (o) => (o.kind === 'Pod' ? (o.spec.nodeName ?? '') : undefined),
  'status.phase': (o) => (o.kind === 'Pod' ? (o.status?.phase ?? '') : undefined),
  'spec.unschedulable': (o) => (o.kind === 'Node' ? String(o.spec.unschedulable ?? false) : undefined),
  'involvedObject.kind': ofEvent((e) => e.involvedObject.kind),
  'involvedObject.namespace': ofEvent((e) => e.involvedObject.namespace),
  'involvedObject.name': ofEvent((e) => e.involvedObject.name),
  'involvedObject.uid': ofEvent((e) => e.involvedObject.uid),
  'involvedObject.apiVersion': ofEvent((e) => e.involvedObject.apiVersion),
  'involvedObject.resourceVersion': ofEvent((e) => e.involvedObject.resourceVersion),
  'involvedObject.fieldPath': ofEvent((e) => e.involvedObject.fieldPath),
  reason: ofEvent((e) => e.reason),
  reportingComponent: ofEvent((e) => e.reportingComponent),
  // An Event written through events.k8s.io has no source; its reporting controller stands in.
  source: ofEvent((e) => e.source?.component || e.reportingComponent),
  type: ofEvent((e) => e.type),
};
const FIELDS_OF_KIND: Record<string, string[]> = {
  Pod: ['spec.nodeName', 'status.phase'],
  Node: ['spec.unschedulable'],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
};

/** A `fieldSelector` query value: `field=value`, `field==value` or `field!=value`, comma-separated. */
export function parseFieldSelector(selector: string | undefined, kind: string): Match {
  if (!selector?.trim()) return () => true;
  const checks = selector.split(',').map((term) => {
    const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(term.trim());
    if (!m) throw new ApiError(badRequest(`invalid selector: '${selector}'; can't understand '${term}'`));
    const field = m[1] ?? '';
    const read = FIELDS[field];
    if (!read || !(field.startsWith('metadata.') || FIELDS_OF_KIND[kind]?.includes(field))) {
      throw new ApiError(badRequest(`field label not supported: ${field}`));
    }
    const negate = m[2] === '!=';
    const value = m[3] ?? '';
    return (o: KubeObject) => (read(o) === value) !== negate;
  });
  return (o) => checks.every((check) => check(o));
}

/** labels.FormatLabels: `a=b,c=d` sorted by key, `<none>` when empty. */
export function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : '<none>';
}

/** metav1.LabelSelector as its selector string prints (`app=web,tier in (a,b)`), requirements sorted by key. */
export function formatSelector(selector: LabelSelector | undefined): string {
  if (!selector) return '';
  const parts: [string, string][] = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => [k, `${k}=${v}`]);
  for (const e of selector.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    const text = e.operator === 'In' ? `${e.key} in (${values})` : e.operator === 'NotIn' ? `${e.key} notin (${values})` : e.operator === 'Exists' ? e.key : `!${e.key}`;
    parts.push([e.key, text]);
  }
  return parts
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, text]) => text)
    .join(',');
}
