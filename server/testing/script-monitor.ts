/**
 * Records the commands every Lua script a Redis node runs, with a real MONITOR (it lists a script's
 * own commands, marked `lua`, right after the EVALSHA that ran it): how a test shows what one
 * script wrote, for example that one commit renewed several node Leases.
 */
import { createClient } from 'redis';

export interface ScriptMonitor {
  /** Each script run so far, as its commands: each the command's words, the name lowercased. */
  runs(): string[][][];
  close(): Promise<void>;
}

/** The quoted words of a MONITOR line (`1700000000.000000 [0 lua] "HSET" "key" "field" "value"`). */
function words(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? '').replace(/\\"/g, '"'));
}

export async function monitorScripts(url: string): Promise<ScriptMonitor> {
  const runs: string[][][] = [];
  let current: string[][] | null = null;
  const monitor = createClient({ url });
  await monitor.connect();
  await monitor.monitor((line) => {
    if (!/^\S+ \[\d+ lua\]/.test(line)) {
      current = null;
      return;
    }
    if (!current) runs.push((current = []));
    const [command = '', ...rest] = words(line);
    current.push([command.toLowerCase(), ...rest]);
  });
  return {
    runs: () => runs,
    close: async () => {
      monitor.destroy();
    },
  };
}
