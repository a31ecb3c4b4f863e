/**
 * Where a ported case comes from: the Kubernetes test file and test function whose table it was
 * taken from, and the release its expectation holds for. Only facts are carried over (inputs and
 * expected outcomes); the code and words are ours.
 */
export const K8S_VERSION = '1.32';
/** Expectations that changed after 1.32 and that we follow on purpose (the case says why). */
export const K8S_AFTER_132 = 'after 1.32';

export interface K8sSource {
  /** Path in kubernetes/kubernetes. */
  readonly file: string;
  /** The Go test function (and sub-case name, when the table names its cases). */
  readonly test: string;
  readonly version: string;
}

export interface K8sCase {
  readonly source: K8sSource;
  /** Set when we answer differently on purpose: the reason. The case then asserts our answer. */
  readonly differs?: string;
}

export function k8s(file: string, test: string, version: string = K8S_VERSION): K8sSource {
  return { file, test, version };
}

/** The test title every ported case carries: `[k8s 1.32 TestQuantityParse] 3Ei`. */
export function caseTitle(c: K8sCase, name: string): string {
  const tag = c.differs === undefined ? '' : ' (differs on purpose)';
  return `[k8s ${c.source.version} ${c.source.test}] ${name}${tag}`;
}
