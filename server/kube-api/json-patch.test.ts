/** JSON patch, with the examples of RFC 6902 Appendix A as data (A.1–A.16; A.11 and A.13 do not apply to parsed JSON). */
import { describe, expect, it } from 'vitest';
import { applyJsonPatch } from './json-patch';

const CASES: { rfc: string; doc: unknown; patch: unknown[]; result?: unknown; error?: string }[] = [
  { rfc: 'A.1 add an object member', doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/baz', value: 'qux' }], result: { baz: 'qux', foo: 'bar' } },
  { rfc: 'A.2 add an array element', doc: { foo: ['bar', 'baz'] }, patch: [{ op: 'add', path: '/foo/1', value: 'qux' }], result: { foo: ['bar', 'qux', 'baz'] } },
  { rfc: 'A.3 remove an object member', doc: { baz: 'qux', foo: 'bar' }, patch: [{ op: 'remove', path: '/baz' }], result: { foo: 'bar' } },
  { rfc: 'A.4 remove an array element', doc: { foo: ['bar', 'qux', 'baz'] }, patch: [{ op: 'remove', path: '/foo/1' }], result: { foo: ['bar', 'baz'] } },
  { rfc: 'A.5 replace a value', doc: { baz: 'qux', foo: 'bar' }, patch: [{ op: 'replace', path: '/baz', value: 'boo' }], result: { baz: 'boo', foo: 'bar' } },
  {
    rfc: 'A.6 move a value',
    doc: { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
    patch: [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
    result: { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
  },
  { rfc: 'A.7 move an array element', doc: { foo: ['all', 'grass', 'cows', 'eat'] }, patch: [{ op: 'move', from: '/foo/1', path: '/foo/3' }], result: { foo: ['all', 'cows', 'eat', 'grass'] } },
  {
    rfc: 'A.8 test a value: success',
    doc: { baz: 'qux', foo: ['a', 2, 'c'] },
    patch: [{ op: 'test', path: '/baz', value: 'qux' }, { op: 'test', path: '/foo/1', value: 2 }],
    result: { baz: 'qux', foo: ['a', 2, 'c'] },
  },
  { rfc: 'A.9 test a value: error', doc: { baz: 'qux' }, patch: [{ op: 'test', path: '/baz', value: 'bar' }], error: 'test operation failed: the value at /baz is not "bar"' },
  { rfc: 'A.10 add a nested member object', doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/child', value: { grandchild: {} } }], result: { foo: 'bar', child: { grandchild: {} } } },
  { rfc: 'A.12 add to a nonexistent target', doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/baz/bat', value: 'qux' }], error: 'add operation does not apply: doc is missing path: /baz/bat' },
  { rfc: 'A.14 ~ escape ordering', doc: { '/': 9, '~1': 10 }, patch: [{ op: 'test', path: '/~01', value: 10 }], result: { '/': 9, '~1': 10 } },
  { rfc: 'A.15 comparing strings and numbers', doc: { '/': 9, '~1': 10 }, patch: [{ op: 'test', path: '/~01', value: '10' }], error: 'test operation failed: the value at /~01 is not "10"' },
  { rfc: 'A.16 add an array value', doc: { foo: ['bar'] }, patch: [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], result: { foo: ['bar', ['abc', 'def']] } },
];

describe('JSON patch (RFC 6902)', () => {
  for (const c of CASES) {
    it(c.rfc, () => {
      if (c.error) expect(() => applyJsonPatch(c.doc, c.patch)).toThrow(c.error);
      else expect(applyJsonPatch(c.doc, c.patch)).toEqual(c.result);
    });
  }

  it('leaves the document as it was when an operation does not apply', () => {
    const doc = { a: 1 };
    expect(() => applyJsonPatch(doc, [{ op: 'remove', path: '/a' }, { op: 'remove', path: '/a' }])).toThrow('remove operation does not apply: doc is missing path: /a');
    expect(doc).toEqual({ a: 1 });
  });
});
