import type { Logger } from '../logger';
import type { ClusterPlayServer } from './types';

/** How often the count of processes on the adapter is asked again; a new process waits this long at most for others' request entries. */
const ASK_EVERY_MS = 1000;

/**
 * Whether other server processes share this one's Socket.IO adapter (its `serverCount`: one
 * PUBSUB NUMSUB a second). A process alone does not send its decided requests through Redis to
 * nobody. Until the first answer, and whenever Redis does not answer, it assumes company.
 */
export class AdapterPeers {
  #alone = false;
  readonly #timer: NodeJS.Timeout;

  constructor(io: ClusterPlayServer, logger: Logger) {
    const ask = () => {
      io.of('/')
        .adapter.serverCount()
        .then((count) => (this.#alone = count <= 1))
        .catch((error: unknown) => {
          this.#alone = false;
          logger.debug({ err: error }, 'could not count the server processes on the adapter');
        });
    };
    ask();
    this.#timer = setInterval(ask, ASK_EVERY_MS);
    this.#timer.unref();
  }

  get alone(): boolean {
    return this.#alone;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
