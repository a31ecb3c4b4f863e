/** Name and label rules, from apimachinery's util/validation tests, and which rule each kind's name takes. */
import { describe, expect, test } from 'vitest';
import { dns1035LabelErrors, dns1123LabelErrors, dns1123SubdomainErrors, labelValueErrors, qualifiedNameErrors } from '../names';
import { validateObject } from '../validate';
import { makeDeployment, makeNode, makePod, makeService } from '../factories';
import type { KubeObject } from '../objects';
import { caseTitle, k8s, type K8sCase } from './source';

const FILE = 'staging/src/k8s.io/apimachinery/pkg/util/validation/validation_test.go';
const a = (n: number): string => 'a'.repeat(n);

interface RuleCase extends K8sCase {
  rule: string;
  check: (v: string) => string[];
  value: string;
  valid: boolean;
}
const table = (test: string, rule: string, check: (v: string) => string[], good: string[], bad: string[]): RuleCase[] => [
  ...good.map((value) => ({ source: k8s(FILE, test), rule, check, value, valid: true })),
  ...bad.map((value) => ({ source: k8s(FILE, test), rule, check, value, valid: false })),
];
const badLabel = ['', 'A', 'ABC', 'aBc', 'A1', 'A-1', '1-A', '-', 'a-', '-a', '1-', '-1', '_', 'a_', '_a', 'a_b', '1_', '_1', '1_2'];
const spaces = [' ', 'a ', ' a', 'a b', '1 ', ' 1', '1 2'];
const RULE_CASES: RuleCase[] = [
  ...table('TestIsDNS1123Label', 'DNS-1123 label', dns1123LabelErrors,
    ['a', 'ab', 'abc', 'a1', 'a-1', 'a--1--2--b', '0', '01', '012', '1a', '1-a', '1--a--b--2', a(63)],
    [...badLabel, '.', 'a.', '.a', 'a.b', '1.', '.1', '1.2', ...spaces, a(64)]),
  ...table('TestIsDNS1123Subdomain', 'DNS-1123 subdomain', dns1123SubdomainErrors,
    ['a', 'ab', 'abc', 'a1', 'a-1', 'a--1--2--b', '0', '01', '012', '1a', '1-a', '1--a--b--2', 'a.a', 'ab.a', 'abc.a', 'a1.a',
      'a-1.a', 'a--1--2--b.a', 'a.1', 'ab.1', 'abc.1', 'a1.1', 'a-1.1', 'a--1--2--b.1', '0.a', '01.a', '012.a', '1a.a', '1-a.a',
      '0.1', '01.1', '012.1', '1a.1', '1-a.1', '1--a--b--2.1', 'a.b.c.d.e', 'aa.bb.cc.dd.ee', '1.2.3.4.5', '11.22.33.44.55', a(253)],
    [...badLabel, '.', 'a.', '.a', 'a..b', '1.', '.1', '1..2', ...spaces, 'A.a', 'aB.a', 'ab.A', 'A1.a', 'a1.A', 'A.1', 'aB.1',
      'A1.1', '1A.1', '0.A', '01.A', '012.A', '1A.a', '1a.A', 'A.B.C.D.E', 'AA.BB.CC.DD.EE', 'a.B.c.d.e', 'aa.bB.cc.dd.ee',
      'a@b', 'a,b', 'a;b', 'a:b', 'a%b', 'a?b', 'a$b', a(254)]),
  ...table('TestIsDNS1035Label', 'DNS-1035 label', dns1035LabelErrors,
    ['a', 'ab', 'abc', 'a1', 'a-1', 'a--1--2--b', a(63)],
    ['0', '01', '012', '1a', '1-a', '1--a--b--2', ...badLabel, '.', 'a.', '.a', 'a.b', '1.', '.1', '1.2', ...spaces, a(64)]),
  ...table('TestIsQualifiedName', 'qualified name (label key)', qualifiedNameErrors,
    ['simple', 'now-with-dashes', '1-starts-with-num', '1234', 'simple/simple', 'now-with-dashes/simple', 'now-with-dashes/now-with-dashes',
      'now.with.dots/simple', 'now-with.dashes-and.dots/simple', '1-num.2-num/3-num', '1234/5678', '1.2.3.4/5678', 'Uppercase_Is_OK_123',
      'example.com/Uppercase_Is_OK_123', 'requests.storage-foo', a(63), `${a(253)}/${'b'.repeat(63)}`],
    ['nospecialchars%^=@', 'cantendwithadash-', '-cantstartwithadash-', 'only/one/slash', 'Example.com/abc', 'example_com/abc',
      'example.com/', '/simple', a(64), `${a(254)}/abc`]),
  ...table('TestIsValidLabelValue', 'label value', labelValueErrors,
    ['simple', 'now-with-dashes', '1-starts-with-num', 'end-with-num-1', '1234', a(63), ''],
    ['nospecialchars%^=@', 'Tama-nui-te-rā.is.Māori.sun', '\\backslashes\\are\\bad', '-starts-with-dash', 'ends-with-dash-',
      '.starts.with.dot', 'ends.with.dot.', a(64)]),
];

describe('names and labels, case for case with Kubernetes', () => {
  for (const c of RULE_CASES) {
    test(caseTitle(c, `${JSON.stringify(c.value.length > 20 ? `${c.value.slice(0, 8)}…(${c.value.length})` : c.value)} is ${c.valid ? '' : 'not '}a ${c.rule}`), () => {
      expect(c.check(c.value).length === 0).toBe(c.valid);
    });
  }
});

// Which rule a kind's name takes is set in the kind's validation (ValidatePodName, ValidateNodeName, ...).
const CORE = 'pkg/apis/core/validation/validation.go';
const APPS = 'pkg/apis/apps/validation/validation.go';
interface KindCase extends K8sCase {
  make: (name: string) => KubeObject;
  kind: string;
  name: string;
  valid: boolean;
}
function deploymentNamed(name: string): KubeObject {
  const d = makeDeployment(name);
  // The container takes the Deployment's name in the factory; a container name stays a DNS-1123 label.
  d.spec.template.spec.containers = d.spec.template.spec.containers.map((c) => ({ ...c, name: 'web' }));
  return d;
}
const KIND_CASES: KindCase[] = [
  { source: k8s(CORE, 'ValidatePodName: NameIsDNSSubdomain'), kind: 'Pod', make: (n) => makePod(n), name: 'web.v1', valid: true },
  { source: k8s(CORE, 'ValidateNodeName: NameIsDNSSubdomain'), kind: 'Node', make: (n) => makeNode(n), name: 'ip-10-0-0-1.ec2.internal', valid: true },
  { source: k8s(APPS, 'ValidateDeploymentName: NameIsDNSSubdomain'), kind: 'Deployment', make: deploymentNamed, name: 'web.v1', valid: true },
  { source: k8s(CORE, 'ValidateServiceName: NameIsDNS1035Label'), kind: 'Service', make: (n) => makeService(n, { app: 'web' }, 80), name: 'web.v1', valid: false },
  { source: k8s(CORE, 'ValidateServiceName: NameIsDNS1035Label'), kind: 'Service', make: (n) => makeService(n, { app: 'web' }, 80), name: '1web', valid: false },
  { source: k8s(CORE, 'ValidatePodName: NameIsDNSSubdomain'), kind: 'Pod', make: (n) => makePod(n), name: 'Web', valid: false },
];

describe('the name rule of each kind', () => {
  for (const c of KIND_CASES) {
    test(caseTitle(c, `a ${c.kind} named ${JSON.stringify(c.name)} is ${c.valid ? 'accepted' : 'refused'}`), () => {
      expect(validateObject(c.make(c.name)).ok).toBe(c.valid);
    });
  }
});
