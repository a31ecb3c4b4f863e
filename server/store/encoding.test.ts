import { describe, expect, it } from 'vitest';
import { makePod } from '@shared/model';
import { decodeLogEntry, decodeObject, decodeRequestEntry } from './encoding';

const stored = JSON.stringify({ ...makePod('web-1'), metadata: { ...makePod('web-1').metadata, uid: 'u-1', resourceVersion: '7' } });
const fields = { type: 'MODIFIED', object: stored, actor: 'student:ada', simTime: '1500', wallTime: '1796000000000' };

describe('reading back what the store wrote (envelopes checked by hand)', () => {
  it('a log entry becomes its watch event; a DELETED one carries the deletion\'s version', () => {
    expect(decodeLogEntry('7-0', fields)).toEqual({ type: 'MODIFIED', object: JSON.parse(stored), resourceVersion: '7', actor: 'student:ada', simTime: 1500, wallTime: 1796000000000 });
    const deleted = decodeLogEntry('9-0', { ...fields, type: 'DELETED' });
    expect([deleted.type, deleted.resourceVersion, deleted.object.metadata.resourceVersion]).toEqual(['DELETED', '9', '9']);
  });

  it.each([
    ['an unknown event type', { ...fields, type: 'BOOKMARK' }],
    ['no actor', { type: fields.type, object: stored, simTime: fields.simTime, wallTime: fields.wallTime }],
    ['a simTime that is no number', { ...fields, simTime: 'soon' }],
    ['an object without a uid', { ...fields, object: stored.replace('"uid":"u-1",', '') }],
    ['an object of an unknown kind', { ...fields, object: stored.replace('"kind":"Pod"', '"kind":"Widget"') }],
    ['an object that is an array', { ...fields, object: '[]' }],
  ])('a log entry with %s is refused as malformed', (_what, entry) => {
    expect(() => decodeLogEntry('7-0', entry)).toThrow(/^malformed (log entry 7-0|object) in redis: /);
  });

  it('an object and a request entry pass with their envelope, and are refused without it', () => {
    expect(decodeObject(stored).metadata.uid).toBe('u-1');
    expect(() => decodeObject('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","uid":"u"}}')).toThrow('malformed object in redis');
    const entry = { id: 'r-1', wallTime: 1, simTime: 2, actor: 'bot:scheduler', actorName: 'bot', role: 'scheduler', verb: 'bind', target: 'pods/web-1', outcome: 'accepted', message: '' };
    expect(decodeRequestEntry(JSON.stringify(entry))).toEqual(entry);
    expect(() => decodeRequestEntry(JSON.stringify({ ...entry, outcome: 'maybe' }))).toThrow('malformed request entry in redis');
  });
});
