/**
 * A Redis failover that loses acknowledged writes, made exactly on one Redis: the classroom's keys
 * are copied (what the replica holds), writes land (acknowledged, then lost), and the copy is put
 * back in one transaction (the promoted replica), dropping everything written since.
 */
import { createClient, RESP_TYPES } from 'redis';

export interface ReplicaCopy {
  promote(): Promise<void>;
}

export async function replicaOf(url: string, prefix: string, classroom: string): Promise<ReplicaCopy> {
  const raw = createClient({ url }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  await raw.connect();
  const pattern = `${prefix}:{${classroom}}:*`;
  try {
    const keys = (await raw.keys(pattern)).map(String);
    const dumps = await Promise.all(keys.map(async (key) => [key, await raw.dump(key)] as const));
    return {
      async promote() {
        const client = createClient({ url });
        await client.connect();
        try {
          const now = await client.keys(pattern);
          const multi = client.multi();
          if (now.length) multi.del(now);
          for (const [key, dump] of dumps) if (dump) multi.restore(key, 0, dump, { REPLACE: true });
          await multi.exec();
        } finally {
          await client.close();
        }
      },
    };
  } finally {
    await raw.close();
  }
}
