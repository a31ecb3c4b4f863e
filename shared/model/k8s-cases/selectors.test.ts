/**
 * Label selectors and their validation. Upstream writes selectors as strings (`x!=y`); here each is
 * the LabelSelector it parses to (`x!=y` is NotIn [y], `x` is Exists, `!x` is DoesNotExist).
 */
import { describe, expect, test } from 'vitest';
import { matchesNodeSelectorTerms, matchesSelector } from '../selectors';
import { validateObject } from '../validate';
import { makeNode, makePod } from '../factories';
import type { LabelSelector, LabelSelectorRequirement } from '../schemas-common';
import type { NodeSelectorRequirement, NodeSelectorTerm } from '../pod';
import { caseTitle, k8s, type K8sCase } from './source';

const LABELS = 'staging/src/k8s.io/apimachinery/pkg/labels/selector_test.go';
const META = 'staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/helpers_test.go';
const HELPERS = 'staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity_test.go';

const eq = (key: string, value: string): LabelSelectorRequirement => ({ key, operator: 'In', values: [value] });
const ne = (key: string, value: string): LabelSelectorRequirement => ({ key, operator: 'NotIn', values: [value] });
const has = (key: string): LabelSelectorRequirement => ({ key, operator: 'Exists' });
const not = (key: string): LabelSelectorRequirement => ({ key, operator: 'DoesNotExist' });

interface MatchCase extends K8sCase {
  text: string;
  selector: LabelSelector | undefined;
  labels: Record<string, string>;
  match: boolean;
}
const m = (text: string, exprs: LabelSelectorRequirement[], labels: Record<string, string>, match: boolean): MatchCase => ({
  source: k8s(LABELS, 'TestSelectorMatches'),
  text,
  selector: { matchExpressions: exprs },
  labels,
  match,
});
const set = { foo: 'bar', baz: 'blah' };
const MATCH_CASES: MatchCase[] = [
  m('', [], { x: 'y' }, true),
  m('x=y', [eq('x', 'y')], { x: 'y' }, true),
  m('x=y,z=w', [eq('x', 'y'), eq('z', 'w')], { x: 'y', z: 'w' }, true),
  m('x!=y,z!=w', [ne('x', 'y'), ne('z', 'w')], { x: 'z', z: 'a' }, true),
  m('notin=in', [eq('notin', 'in')], { notin: 'in' }, true),
  m('x', [has('x')], { x: 'z' }, true),
  m('!x', [not('x')], { y: 'z' }, true),
  m('x=z', [eq('x', 'z')], {}, false),
  m('x=y', [eq('x', 'y')], { x: 'z' }, false),
  m('x=y,z=w', [eq('x', 'y'), eq('z', 'w')], { x: 'w', z: 'w' }, false),
  m('x!=y,z!=w', [ne('x', 'y'), ne('z', 'w')], { x: 'z', z: 'w' }, false),
  m('x', [has('x')], { y: 'z' }, false),
  m('!x', [not('x')], { x: 'z' }, false),
  m('foo=bar', [eq('foo', 'bar')], set, true),
  m('baz=blah', [eq('baz', 'blah')], set, true),
  m('foo=bar,baz=blah', [eq('foo', 'bar'), eq('baz', 'blah')], set, true),
  m('foo=blah', [eq('foo', 'blah')], set, false),
  m('baz=bar', [eq('baz', 'bar')], set, false),
  m('foo=bar,foobar=bar,baz=blah', [eq('foo', 'bar'), eq('foobar', 'bar'), eq('baz', 'blah')], set, false),
  // LabelSelectorAsSelector: a nil selector selects nothing, an empty one everything.
  { source: k8s(META, 'TestLabelSelectorAsSelector'), text: 'nil', selector: undefined, labels: { x: 'y' }, match: false },
  { source: k8s(META, 'TestLabelSelectorAsSelector'), text: '{}', selector: {}, labels: { x: 'y' }, match: true },
];

describe('label selectors, case for case with Kubernetes', () => {
  for (const c of MATCH_CASES) {
    test(caseTitle(c, `${JSON.stringify(c.text)} ${c.match ? 'matches' : 'does not match'} ${JSON.stringify(c.labels)}`), () => {
      expect(matchesSelector(c.selector, c.labels)).toBe(c.match);
    });
  }
});

interface NodeTermCase extends K8sCase {
  name: string;
  terms: NodeSelectorTerm[];
  labels: Record<string, string>;
  match: boolean;
}
const gt = (key: string, v: string): NodeSelectorRequirement => ({ key, operator: 'Gt', values: [v] });
const lt = (key: string, v: string): NodeSelectorRequirement => ({ key, operator: 'Lt', values: [v] });
const nt = (name: string, terms: NodeSelectorTerm[], labels: Record<string, string>, match: boolean): NodeTermCase => ({
  source: k8s(HELPERS, 'TestNodeSelectorMatch'),
  name,
  terms,
  labels,
  match,
});
const NODE_CASES: NodeTermCase[] = [
  nt('no terms select no node', [], { foo: 'bar' }, false),
  nt('an empty term selects no node', [{}], { foo: 'bar' }, false),
  nt('In with the value', [{ matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar', 'baz'] }] }], { foo: 'bar' }, true),
  nt('terms are ORed', [{ matchExpressions: [eqN('foo', 'x')] }, { matchExpressions: [eqN('foo', 'bar')] }], { foo: 'bar' }, true),
  nt('expressions in a term are ANDed', [{ matchExpressions: [eqN('foo', 'bar'), eqN('zone', 'a')] }], { foo: 'bar' }, false),
  nt('Gt on integers', [{ matchExpressions: [gt('cores', '4')] }], { cores: '8' }, true),
  nt('Gt not met', [{ matchExpressions: [gt('cores', '8')] }], { cores: '8' }, false),
  nt('Lt on integers', [{ matchExpressions: [lt('cores', '4')] }], { cores: '2' }, true),
  nt('Gt on a label that is not an integer', [{ matchExpressions: [gt('cores', '4')] }], { cores: 'many' }, false),
  nt('Gt with the label absent', [{ matchExpressions: [gt('cores', '4')] }], {}, false),
  nt('matchFields on metadata.name', [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] }], {}, true),
  nt('matchFields on another name', [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-2'] }] }], {}, false),
];
function eqN(key: string, value: string): NodeSelectorRequirement {
  return { key, operator: 'In', values: [value] };
}

describe('node selector terms, case for case with Kubernetes', () => {
  for (const c of NODE_CASES) {
    test(caseTitle(c, c.name), () => {
      const node = makeNode('node-1');
      node.metadata.labels = c.labels;
      expect(matchesNodeSelectorTerms(c.terms, node)).toBe(c.match);
    });
  }
});

const META_VALIDATION = 'staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation_test.go';
const CORE_VALIDATION_RULE = 'pkg/apis/core/validation/validation.go';
interface RequirementCase extends K8sCase {
  name: string;
  where: 'pod anti-affinity' | 'node affinity';
  requirement: { key: string; operator: string; values?: string[] };
  /** The field error, after the requirement's own path; '' when valid. */
  error: string;
}
const r = (where: RequirementCase['where'], name: string, requirement: RequirementCase['requirement'], error: string): RequirementCase => ({
  source: where === 'node affinity' ? k8s(CORE_VALIDATION_RULE, 'ValidateNodeSelectorRequirement (the rule; no table upstream)') : k8s(META_VALIDATION, 'TestLabelSelectorMatchExpression'),
  where,
  name,
  requirement,
  error,
});
const REQUIREMENT_CASES: RequirementCase[] = [
  r('pod anti-affinity', 'In with values', { key: 'app', operator: 'In', values: ['web'] }, ''),
  r('pod anti-affinity', 'In without values', { key: 'app', operator: 'In' }, "values: Required value: must be specified when `operator` is 'In' or 'NotIn'"),
  r('pod anti-affinity', 'NotIn with no values', { key: 'app', operator: 'NotIn', values: [] }, "values: Required value: must be specified when `operator` is 'In' or 'NotIn'"),
  r('pod anti-affinity', 'Exists with values', { key: 'app', operator: 'Exists', values: ['web'] }, "values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
  r('pod anti-affinity', 'DoesNotExist without values', { key: 'app', operator: 'DoesNotExist' }, ''),
  r('pod anti-affinity', 'an unknown operator', { key: 'app', operator: 'Gt', values: ['1'] }, 'operator: Invalid value: "Gt": not a valid selector operator'),
  r('pod anti-affinity', 'an invalid value', { key: 'app', operator: 'In', values: ['-web'] }, 'values[0]: Invalid value: "-web": a valid label must be an empty string'),
  r('pod anti-affinity', 'an invalid key', { key: 'a/b/c', operator: 'Exists' }, 'key: Invalid value: "a/b/c": a qualified name must consist'),
  r('node affinity', 'Gt with one value', { key: 'cores', operator: 'Gt', values: ['4'] }, ''),
  r('node affinity', 'Lt with two values', { key: 'cores', operator: 'Lt', values: ['4', '5'] }, "values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'"),
  r('node affinity', 'Exists with values', { key: 'zone', operator: 'Exists', values: ['a'] }, "values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
  r('node affinity', 'In without values', { key: 'zone', operator: 'In' }, "values: Required value: must be specified when `operator` is 'In' or 'NotIn'"),
  r('node affinity', 'an empty operator', { key: 'zone', operator: '' }, 'operator: Invalid value: "": not a valid selector operator'),
];

function podWith(where: RequirementCase['where'], requirement: RequirementCase['requirement']): { pod: unknown; path: string } {
  const pod = makePod('web-1');
  const affinity =
    where === 'node affinity'
      ? { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [requirement] }] } } }
      : { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchExpressions: [requirement] } }] } };
  const path =
    where === 'node affinity'
      ? 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]'
      : 'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0]';
  return { pod: { ...pod, spec: { ...pod.spec, affinity } }, path };
}

describe('selector validation, case for case with Kubernetes', () => {
  for (const c of REQUIREMENT_CASES) {
    test(caseTitle(c, `${c.where}: ${c.name} is ${c.error === '' ? 'valid' : 'refused'}`), () => {
      const { pod, path } = podWith(c.where, c.requirement);
      const result = validateObject(pod);
      if (c.error === '') expect(result).toMatchObject({ ok: true });
      else expect(result.ok ? '' : result.message).toContain(`${path}.${c.error}`);
    });
  }
});
