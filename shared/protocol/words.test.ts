import { expect, test } from 'vitest';
import { listInWords } from './words';

test('a list as a sentence says it', () => {
  expect([[], ['Pia'], ['Pia', 'Kim'], ['Pia', 'Kim', 'Rui']].map((items) => listInWords(items))).toEqual(['', 'Pia', 'Pia and Kim', 'Pia, Kim and Rui']);
});
