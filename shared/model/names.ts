/**
 * Object name rules with Kubernetes' own error texts (k8s.io/apimachinery/pkg/util/validation).
 * Each function returns the list of problems, empty when the name is valid.
 */

export type NameRule = 'dns1123Label' | 'dns1123Subdomain' | 'dns1035Label';

export const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
export const DNS1123_LABEL_MAX_LENGTH = 63;
export const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
export const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';

const DNS1123_LABEL_ERR =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_ERR =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_ERR =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";

/** validation.RegexError: `msg (e.g. 'a',  or 'b', regex used for validation is 'fmt')` (sic: two spaces). */
function regexError(msg: string, fmt: string, examples: readonly string[]): string {
  const shown = examples.map((e) => `'${e}', `).join(' or ');
  return `${msg} (e.g. ${shown}regex used for validation is '${fmt}')`;
}

const maxLenError = (n: number): string => `must be no more than ${n} characters`;

function check(value: string, max: number, fmt: string, err: string, examples: readonly string[]): string[] {
  const errors: string[] = [];
  if (value.length > max) errors.push(maxLenError(max));
  if (!new RegExp(`^${fmt}$`).test(value)) errors.push(regexError(err, fmt, examples));
  return errors;
}

export function dns1123LabelErrors(value: string): string[] {
  return check(value, DNS1123_LABEL_MAX_LENGTH, DNS1123_LABEL_FMT, DNS1123_LABEL_ERR, ['my-name', '123-abc']);
}

export function dns1123SubdomainErrors(value: string): string[] {
  return check(value, DNS1123_SUBDOMAIN_MAX_LENGTH, DNS1123_SUBDOMAIN_FMT, DNS1123_SUBDOMAIN_ERR, ['example.com']);
}

export function dns1035LabelErrors(value: string): string[] {
  return check(value, DNS1123_LABEL_MAX_LENGTH, DNS1035_LABEL_FMT, DNS1035_LABEL_ERR, ['my-name', 'abc-123']);
}

export function nameErrors(rule: NameRule, value: string): string[] {
  switch (rule) {
    case 'dns1123Label':
      return dns1123LabelErrors(value);
    case 'dns1123Subdomain':
      return dns1123SubdomainErrors(value);
    case 'dns1035Label':
      return dns1035LabelErrors(value);
  }
}

export function isDns1123Label(value: string): boolean {
  return dns1123LabelErrors(value).length === 0;
}

const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_MAX_LENGTH = 63;
const QUALIFIED_NAME_ERR = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE_ERR =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** validation.IsQualifiedName: a label or annotation key, `[prefix/]name`, the prefix a DNS subdomain. */
export function qualifiedNameErrors(value: string): string[] {
  const parts = value.split('/');
  let name: string;
  const errors: string[] = [];
  if (parts.length === 1) name = parts[0] ?? '';
  else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix === '') errors.push('prefix part must be non-empty');
    else errors.push(...dns1123SubdomainErrors(prefix).map((e) => `prefix part ${e}`));
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, ['MyName', 'my.name', '123-abc'])} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name === '') errors.push('name part must be non-empty');
  else if (name.length > QUALIFIED_NAME_MAX_LENGTH) errors.push(`name part ${maxLenError(QUALIFIED_NAME_MAX_LENGTH)}`);
  if (name !== '' && !new RegExp(`^${QUALIFIED_NAME_FMT}$`).test(name)) {
    errors.push(`name part ${regexError(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, ['MyName', 'my.name', '123-abc'])}`);
  }
  return errors;
}

/** validation.IsValidLabelValue: empty, or up to 63 alphanumerics with `-`, `_`, `.` inside. */
export function labelValueErrors(value: string): string[] {
  return check(value, QUALIFIED_NAME_MAX_LENGTH, LABEL_VALUE_FMT, LABEL_VALUE_ERR, ['MyValue', 'my_value', '12345']);
}

/**
 * Go's string order (byte by byte), which Kubernetes sorts names, keys and timestamps by. Never
 * localeCompare: its order is the machine's locale, so a server and a browser could disagree (in
 * Danish "aa-web" comes after "zz-web"). JavaScript's `<` compares UTF-16 units: the order of
 * UTF-8's bytes for any string without characters past U+FFFF, which names never have.
 */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
