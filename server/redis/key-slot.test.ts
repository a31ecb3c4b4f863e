import { expect, test } from 'vitest';
import { keySlot } from './key-slot';

// Cases from the Redis Cluster specification (cluster-spec, "Hash tags") and CLUSTER KEYSLOT's documentation.
test.each([
  ['123456789', 12739],
  ['somekey', 11058],
  ['foo{hash_tag}', 2515],
  ['{hash_tag}bar', 2515],
  ['{user1000}.following', keySlot('user1000')],
  ['foo{{bar}}zap', keySlot('{bar')],
  ['foo{bar}{zap}', keySlot('bar')],
])('the slot of %s is %i', (key, slot) => {
  expect(keySlot(key)).toBe(slot);
});

test('an empty first hash tag hashes the whole key (cluster spec): foo{}{bar} is not in bar\'s slot', () => {
  expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
});
