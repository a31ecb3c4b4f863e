import { describe, expect, it } from 'vitest';
import { ageSince, humanDuration } from './age';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

// Cases of k8s.io/apimachinery/pkg/util/duration/duration_test.go (TestHumanDuration), Kubernetes 1.32.
const cases: [number, string][] = [
  [1 * s, '1s'],
  [70 * s, '70s'],
  [190 * s, '3m10s'],
  [70 * m, '70m'],
  [47 * h, '47h'],
  [49 * h, '2d1h'],
  [(8 * 24 + 2) * h, '8d'],
  [367 * d, '367d'],
  [365 * 2 * d + 25 * d, '2y25d'],
  [365 * 8 * d + 10 * d, '8y'],
  [2 * m, '2m'],
  [0, '0s'],
  [-1 * s, '0s'],
  [-2 * s, '<invalid>'],
  [3 * h + 30 * m, '3h30m'],
  [10 * m, '10m'],
];

describe('humanDuration [apimachinery duration.HumanDuration]', () => {
  it.each(cases)('%d ms prints %s', (ms, printed) => {
    expect(humanDuration(ms)).toBe(printed);
  });

  it('measures ages on the simulated clock and prints <unknown> without a timestamp', () => {
    expect(ageSince('2026-11-25T10:00:00Z', Date.parse('2026-11-25T10:05:00Z'))).toBe('5m');
    expect(ageSince(undefined, 0)).toBe('<unknown>');
  });
});
