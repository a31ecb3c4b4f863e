/** Numbers as the game shows them: kubectl-like ages, cores and binary bytes. */

/** kubectl's HumanDuration, shortened: `45s`, `3m20s`, `12m`, `5h`, `3d`. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h` : `${Math.floor(h / 24)}d`;
}

/** `250m`, `1.5` cores: millicores below one core, cores above. */
export function formatCpuMillis(millis: number): string {
  return millis < 1000 ? `${millis}m` : `${+(millis / 1000).toFixed(2)}`;
}

const UNITS = ['', 'Ki', 'Mi', 'Gi', 'Ti'];

/** `512Mi`, `1.5Gi`: the largest binary unit, two decimals at most. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${+value.toFixed(2)}${UNITS[unit]}`;
}

export function percent(part: number, whole: number): number {
  return whole <= 0 ? (part > 0 ? 100 : 0) : Math.min(100, Math.round((part / whole) * 100));
}
