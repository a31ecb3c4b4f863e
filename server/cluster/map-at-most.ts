/**
 * `work` on every item, at most `limit` at a time; resolves to the results in the items' order.
 * For work that waits on Redis round trips (many bots' moves, many nodes' heartbeats): side by
 * side they overlap their waits, without flooding the connection with all of them at once.
 */
export async function mapAtMost<T, R>(limit: number, items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
