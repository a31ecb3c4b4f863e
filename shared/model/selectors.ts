/**
 * Label and node selectors, as Kubernetes evaluates them
 * (apimachinery labels.Selector, component-helpers nodeaffinity).
 */
import type { LabelSelector, LabelSelectorRequirement } from './schemas-common';
import type { Node } from './node';
import type { NodeSelectorRequirement, NodeSelectorTerm, Pod } from './pod';

type Labels = Readonly<Record<string, string>> | undefined;

/**
 * metav1.LabelSelector: matchLabels AND every matchExpression. An absent selector matches
 * nothing; an empty selector `{}` matches everything (LabelSelectorAsSelector).
 */
export function matchesSelector(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (selector === undefined) return false;
  if (!matchesLabels(selector.matchLabels ?? {}, labels)) return false;
  return (selector.matchExpressions ?? []).every((req) => matchesRequirement(req, labels));
}

/**
 * A map selector (Service.spec.selector, nodeSelector): every pair present with the same value.
 * An empty map matches everything; the Endpoints controller skips Services without a selector.
 */
export function matchesLabels(selector: Readonly<Record<string, string>>, labels: Labels): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

function matchesRequirement(req: LabelSelectorRequirement | NodeSelectorRequirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, req.key);
  const value = labels?.[req.key];
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return has && values.includes(value ?? '');
    case 'NotIn':
      return !has || !values.includes(value ?? '');
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      // The label and the single value must both be integers (nodeaffinity: strconv.ParseInt).
      if (!has || values.length !== 1) return false;
      const left = parseInteger(value ?? '');
      const right = parseInteger(values[0] ?? '');
      if (left === undefined || right === undefined) return false;
      return req.operator === 'Gt' ? left > right : left < right;
    }
  }
}

function parseInteger(s: string): bigint | undefined {
  return /^[+-]?\d+$/.test(s) ? BigInt(s) : undefined;
}

/**
 * One NodeSelectorTerm: all its matchExpressions (on labels) and matchFields (only
 * `metadata.name`) hold. A term with no requirements matches no node.
 */
export function matchesNodeSelectorTerm(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const nodeFields = { 'metadata.name': node.metadata.name };
  return (
    exprs.every((req) => matchesRequirement(req, node.metadata.labels)) &&
    fields.every((req) => req.key === 'metadata.name' && matchesRequirement(req, nodeFields))
  );
}

/** NodeSelectorTerms are ORed. */
export function matchesNodeSelectorTerms(terms: readonly NodeSelectorTerm[], node: Node): boolean {
  return terms.some((term) => matchesNodeSelectorTerm(term, node));
}

/**
 * The NodeAffinity filter (RequiredNodeAffinity): the pod's nodeSelector map and its
 * requiredDuringSchedulingIgnoredDuringExecution terms must both match the node.
 */
export function matchesNodeAffinity(pod: Pod, node: Node): boolean {
  if (pod.spec.nodeSelector && !matchesLabels(pod.spec.nodeSelector, node.metadata.labels)) return false;
  const required = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return required === undefined || matchesNodeSelectorTerms(required.nodeSelectorTerms, node);
}
