/**
 * JSON patch (RFC 6902, `kubectl patch --type=json`): a list of operations on JSON pointers
 * (RFC 6901), applied in order to a copy; any operation that does not apply refuses the whole
 * patch (422), a list that is not a patch is a bad request (400).
 */
import { badRequest, type StatusError } from '@shared/model';
import { ApiError } from '../store';
import { isPlainObject } from '../store/merge-patch';

type Container = Record<string, unknown> | unknown[];

const invalid = (message: string): ApiError =>
  new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Invalid', code: 422, message } satisfies StatusError);

function tokens(pointer: unknown): string[] {
  if (typeof pointer !== 'string' || (pointer !== '' && !pointer.startsWith('/'))) throw new ApiError(badRequest(`invalid JSON pointer ${JSON.stringify(pointer)}`));
  return pointer === '' ? [] : pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function child(container: Container, token: string, op: string, path: string): unknown {
  if (Array.isArray(container)) {
    const index = Number(token);
    if (!/^(0|[1-9]\d*)$/.test(token) || index >= container.length) throw invalid(`${op} operation does not apply: index ${token} is out of range at ${path}`);
    return container[index];
  }
  if (!Object.hasOwn(container, token)) throw invalid(`${op} operation does not apply: doc is missing path: ${path}`);
  return container[token];
}

/** The container that holds the pointer's last token, and that token. */
function parentOf(doc: unknown, path: string, op: string): [Container, string] {
  const parts = tokens(path);
  const last = parts.pop();
  if (last === undefined) throw invalid(`${op} operation does not apply: the whole document cannot be the target`);
  let node = doc;
  for (const token of parts) {
    if (!Array.isArray(node) && !isPlainObject(node)) throw invalid(`${op} operation does not apply: doc is missing path: ${path}`);
    node = child(node, token, op, path);
  }
  if (!Array.isArray(node) && !isPlainObject(node)) throw invalid(`${op} operation does not apply: doc is missing path: ${path}`);
  return [node, last];
}

function get(doc: unknown, path: string, op: string): unknown {
  const [parent, last] = parentOf(doc, path, op);
  return child(parent, last, op, path);
}

function add(doc: unknown, path: string, value: unknown, op: string): void {
  const [parent, last] = parentOf(doc, path, op);
  if (!Array.isArray(parent)) {
    parent[last] = value;
    return;
  }
  const index = last === '-' ? parent.length : Number(last);
  if (!/^(0|[1-9]\d*)$/.test(last) && last !== '-') throw invalid(`${op} operation does not apply: ${last} is not an array index at ${path}`);
  if (index > parent.length) throw invalid(`${op} operation does not apply: index ${last} is out of range at ${path}`);
  parent.splice(index, 0, value);
}

function remove(doc: unknown, path: string, op: string): unknown {
  const [parent, last] = parentOf(doc, path, op);
  const removed = child(parent, last, op, path);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete parent[last];
  return removed;
}

const equal = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw new ApiError(badRequest('a JSON patch is a list of operations'));
  const doc = structuredClone(target);
  for (const operation of patch) {
    if (!isPlainObject(operation) || typeof operation['op'] !== 'string') throw new ApiError(badRequest('each JSON patch operation needs an "op"'));
    const { op, path, from } = operation;
    const value = operation['value'];
    const path_ = String(path);
    switch (op) {
      case 'add':
        add(doc, path_, structuredClone(value), op);
        break;
      case 'remove':
        remove(doc, path_, op);
        break;
      case 'replace':
        get(doc, path_, op);
        remove(doc, path_, op);
        add(doc, path_, structuredClone(value), op);
        break;
      case 'move':
        add(doc, path_, remove(doc, String(from), op), op);
        break;
      case 'copy':
        add(doc, path_, structuredClone(get(doc, String(from), op)), op);
        break;
      case 'test':
        if (!equal(get(doc, path_, op), value)) throw invalid(`test operation failed: the value at ${path_} is not ${JSON.stringify(value)}`);
        break;
      default:
        throw new ApiError(badRequest(`unexpected JSON patch operation ${JSON.stringify(op)}`));
    }
  }
  return doc;
}
