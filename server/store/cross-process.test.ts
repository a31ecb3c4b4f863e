import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { monitorKey } from '../testing/key-monitor';
import { as, collector, newClassroom, openStore, type OpenStore } from './testing/fixture';

let open: OpenStore;
beforeAll(async () => {
  // Catch-up reads (every few seconds) would read the log however the change came.
  open = await openStore({ watchCatchUpMs: 600_000 });
});
afterAll(() => open.close());

function runOtherProcess(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/store/testing/write-in-another-process.ts', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the other process exited with ${code}: ${stderr}`))));
  });
}

describe('two API server processes on one Redis', () => {
  it("writes made by another process reach a watcher in this one, in order, in the commits' notifications (no log read after)", async () => {
    const classroom = newClassroom();
    await open.store.create(classroom, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' }, spec: {} }, as('a'));
    const seen = collector();
    const stop = await open.store.watch(classroom, '1', seen.listener);
    const monitor = await monitorKey(inject('redisUrl'), open.store.keys(classroom).log);
    try {
      await runOtherProcess([inject('redisUrl'), inject('redisKeyPrefix'), classroom, 'web-1']);
      await seen.until(3);
      await monitor.sync();
      expect(monitor.calls('XRANGE')).toBe(0);
    } finally {
      await monitor.close();
    }
    stop();
    expect(seen.events.map((e) => [e.type, e.object.kind, e.object.metadata.name, e.resourceVersion])).toEqual([
      ['ADDED', 'Pod', 'web-1', '2'],
      ['MODIFIED', 'Pod', 'web-1', '3'],
      ['DELETED', 'Pod', 'web-1', '4'],
    ]);
    expect(seen.events[0]?.actor).toMatch(/^system:process-\d+$/);
    expect(seen.events[0]?.actor).not.toBe(`system:process-${process.pid}`);
  });
});
