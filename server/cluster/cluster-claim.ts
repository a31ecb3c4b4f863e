/**
 * Who builds a classroom's cluster: its first bootstrap, a scenario's cluster, a reset. A build is
 * claimed with SET NX (a lock with a TTL, in the classroom's slot, released only by its token), so
 * two processes never write two clusters into one store at once; and what the last build made
 * stays in a key beside it, so a bootstrap that waited for a scenario's build (or came later)
 * writes nothing over it. A holder that dies mid-build lets go when the TTL lapses.
 */
import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/connect';

/** Longer than any build takes (a few hundred writes); only a dead holder's claim lasts this long. */
const CLAIM_TTL_MS = 30_000;
const POLL_MS = 20;

const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export class ClusterClaims {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private claimKey(classroomId: string): string {
    return `${this.prefix}:{${classroomId}}:cluster-claim`;
  }

  private builtKey(classroomId: string): string {
    return `${this.prefix}:{${classroomId}}:cluster-built`;
  }

  /**
   * The classroom's first cluster, built only if nothing was built yet and the store is empty
   * (a classroom from before this key has objects: it counts as built). True when this call built it.
   */
  async bootstrap(classroomId: string, storeEmpty: () => Promise<boolean>, build: () => Promise<void>): Promise<boolean> {
    if ((await this.redis.exists(this.builtKey(classroomId))) === 1) return false;
    return this.claimed(classroomId, async () => {
      if ((await this.redis.exists(this.builtKey(classroomId))) === 1) return false;
      if (!(await storeEmpty())) {
        await this.redis.set(this.builtKey(classroomId), 'existing');
        return false;
      }
      await build();
      await this.redis.set(this.builtKey(classroomId), 'bootstrap');
      return true;
    });
  }

  /** Replaces the classroom's cluster (`what`: a scenario's, a reset), once any build in progress is done. */
  async replace<T>(classroomId: string, what: string, build: () => Promise<T>): Promise<T> {
    return this.claimed(classroomId, async () => {
      const built = await build();
      await this.redis.set(this.builtKey(classroomId), what);
      return built;
    });
  }

  /** Runs `work` holding the classroom's build claim, waiting for another holder to let go. */
  private async claimed<T>(classroomId: string, work: () => Promise<T>): Promise<T> {
    const key = this.claimKey(classroomId);
    const token = randomUUID();
    while ((await this.redis.set(key, token, { NX: true, PX: CLAIM_TTL_MS })) !== 'OK') {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    try {
      return await work();
    } finally {
      await this.redis.eval(RELEASE_SCRIPT, { keys: [key], arguments: [token] });
    }
  }
}
