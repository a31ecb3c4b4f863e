/**
 * What Redis runs, by command and key shape, over a few seconds of MONITOR: where a bench's
 * commands go. Ids (hex, uuids, numbers) in keys are folded to `*`; commands a Lua script runs
 * are shown under `lua`. MONITOR costs Redis time: read the mix after a measured window, not in it.
 */
import { createClient } from 'redis';

export async function commandMix(url: string, seconds: number): Promise<Map<string, number>> {
  const mix = new Map<string, number>();
  const client = createClient({ url });
  await client.connect();
  await client.monitor((line: string) => {
    const source = line.includes(' lua]') ? 'lua ' : '';
    const command = /\] "([^"]+)"/.exec(line)?.[1]?.toUpperCase() ?? '?';
    // EVALSHA names its keys after the sha and the key count.
    const keyAt = command === 'EVALSHA' || command === 'EVAL' ? /\] "[^"]+" "[^"]*" "[^"]*" "([^"]*)"/ : /\] "[^"]+" "([^"]*)"/;
    const key = (keyAt.exec(line)?.[1] ?? '').replace(/[0-9a-f]{8}-[0-9a-f-]{27}|[0-9a-zA-Z_-]{16,}|\d+/g, '*');
    const what = `${source}${command} ${key}`;
    mix.set(what, (mix.get(what) ?? 0) + 1);
  });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await client.disconnect().catch(() => undefined);
  return mix;
}

/** The mix as lines `<per classroom per second> <command> <key shape>`, largest first. */
export function formatMix(mix: Map<string, number>, seconds: number, classrooms: number, top = 45): string {
  return [...mix]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([what, n]) => `    ${(n / seconds / classrooms).toFixed(3).padStart(7)} ${what}`)
    .join('\n');
}
