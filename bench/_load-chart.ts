/** bench load's result per measurement, and its chart: p99 and RSS against students, one line per process count. */

export interface LatencyStats {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LoadPoint {
  processes: number;
  /** One Redis, or a Redis Cluster of three masters. */
  redis: 'single' | 'cluster';
  students: number;
  classrooms: number;
  /** Action → every client of the classroom updated, ms. */
  ours: LatencyStats;
  /** The bare Socket.IO room broadcast of the same payload to rooms of the same sizes, ms. */
  bare: LatencyStats;
  ratio: number;
  eventsPerSecond: number;
  payloadBytes: number;
  servers: { cpuPercent: number; rssMB: number }[];
  redisCommandsPerAction: number;
  generatorCpuPercent: number;
}

const W = 720;
const H = 300;
const PAD = { left: 56, right: 16, top: 28, bottom: 40 };
const COLORS = ['#1f77b4', '#d62728'];

function scale(max: number): number {
  const step = 10 ** Math.floor(Math.log10(max || 1));
  return Math.ceil(max / step) * step;
}

/** One panel: a metric against students, a line per process count; a dashed line per count for the baseline, if any. */
function panel(points: LoadPoint[], x0: number, width: number, title: string, unit: string, value: (p: LoadPoint) => number, baseline?: (p: LoadPoint) => number): string {
  const students = [...new Set(points.map((p) => p.students))].sort((a, b) => a - b);
  const top = scale(Math.max(...points.map(value), ...(baseline ? points.map(baseline) : [])));
  const left = x0 + PAD.left;
  const plotW = width - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (s: number) => left + (students.length > 1 ? (students.indexOf(s) / (students.length - 1)) * plotW : plotW / 2);
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const parts = [
    `<text x="${left + plotW / 2}" y="16" text-anchor="middle" font-weight="bold">${title}</text>`,
    `<line x1="${left}" y1="${PAD.top}" x2="${left}" y2="${PAD.top + plotH}" stroke="#444"/>`,
    `<line x1="${left}" y1="${PAD.top + plotH}" x2="${left + plotW}" y2="${PAD.top + plotH}" stroke="#444"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${Number(v.toPrecision(3))}</text>`, `<line x1="${left}" y1="${y(v)}" x2="${left + plotW}" y2="${y(v)}" stroke="#ddd"/>`);
  }
  for (const s of students) parts.push(`<text x="${x(s)}" y="${PAD.top + plotH + 16}" text-anchor="middle">${s}</text>`);
  parts.push(`<text x="${left + plotW / 2}" y="${H - 6}" text-anchor="middle">students (${unit})</text>`);
  for (const processes of [...new Set(points.map((p) => p.processes))].sort()) {
    const line = points.filter((p) => p.processes === processes).sort((a, b) => a.students - b.students);
    const color = COLORS[(processes - 1) % COLORS.length] ?? '#000';
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${line.map((p) => `${x(p.students).toFixed(1)},${y(value(p)).toFixed(1)}`).join(' ')}"/>`);
    if (baseline) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" stroke-dasharray="5 4" points="${line.map((p) => `${x(p.students).toFixed(1)},${y(baseline(p)).toFixed(1)}`).join(' ')}"/>`);
    for (const p of line) parts.push(`<circle cx="${x(p.students).toFixed(1)}" cy="${y(value(p)).toFixed(1)}" r="3" fill="${color}"/>`);
  }
  return parts.join('\n');
}

export function loadChart(points: LoadPoint[]): string {
  const half = W / 2;
  const legend = [...new Set(points.map((p) => p.processes))]
    .sort()
    .map((n, i) => `<rect x="${W - 150}" y="${PAD.top + 8 + i * 16}" width="10" height="10" fill="${COLORS[(n - 1) % COLORS.length] ?? '#000'}"/><text x="${W - 135}" y="${PAD.top + 17 + i * 16}">${n} process${n > 1 ? 'es' : ''}</text>`)
    .join('\n');
  const dashed = `<line x1="${W - 150}" y1="${PAD.top + 13 + 2 * 16}" x2="${W - 140}" y2="${PAD.top + 13 + 2 * 16}" stroke="#444" stroke-dasharray="3 2"/><text x="${W - 135}" y="${PAD.top + 17 + 2 * 16}">bare Socket.IO (left)</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">
<rect width="${W}" height="${H}" fill="#fff"/>
${panel(points, 0, half, 'p99 action → every client (ms)', 'p99 ms', (p) => p.ours.p99, (p) => p.bare.p99)}
${panel(points, half, half, 'server RSS, sum over processes (MB)', 'MB', (p) => p.servers.reduce((n, s) => n + s.rssMB, 0))}
${legend}
${dashed}
</svg>
`;
}
