/**
 * Counts the commands a Redis node runs on one key, with a real MONITOR: how a test shows which
 * round trips a path makes (for example that a watcher in step never reads the log).
 */
import { createClient } from 'redis';
import { waitFor } from './wait';

export interface KeyMonitor {
  /** Calls of `command` (`XRANGE`, …) naming the key first, seen so far. */
  calls(command: string): number;
  /** The commands clients sent naming the key anywhere among their arguments (a script's own calls left out), lower case, seen so far. */
  sent(): string[];
  /**
   * Resolves once MONITOR has shown every command the node ran before now: it sends a fence (an
   * EXISTS of a key in the same slot) and waits for it, since MONITOR shows commands in the order
   * they ran.
   */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** `url`: the node holding the key (on a Redis Cluster, its slot's master). */
export async function monitorKey(url: string, key: string): Promise<KeyMonitor> {
  const lines: string[] = [];
  const monitor = createClient({ url });
  const fences = createClient({ url });
  await Promise.all([monitor.connect(), fences.connect()]);
  await monitor.monitor((line) => lines.push(line));
  let fence = 0;
  const quoted = (word: string) => `"${word}"`;
  return {
    calls: (command) => lines.filter((line) => line.toLowerCase().includes(`${quoted(command.toLowerCase())} ${quoted(key.toLowerCase())}`)).length,
    sent: () =>
      lines
        .filter((line) => !line.includes(' lua] ') && line.toLowerCase().includes(quoted(key.toLowerCase())))
        .map((line) => /\] "([^"]+)"/.exec(line)?.[1]?.toLowerCase() ?? ''),
    async sync() {
      const mark = `${key}:fence-${++fence}`;
      await fences.exists(mark);
      await waitFor(() => lines.some((line) => line.includes(quoted(mark))), { what: `MONITOR to show ${mark}` });
    },
    async close() {
      monitor.destroy();
      await fences.close();
    },
  };
}
