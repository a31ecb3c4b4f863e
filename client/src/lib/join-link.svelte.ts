import { getServerConfig } from './api';
import { paths } from './routes';

/**
 * Where students open the join link. The server knows (PUBLIC_URL, or its LAN address): this
 * browser's own address may be `localhost`, which on a phone is the phone.
 */
class JoinLink {
  /** `http://192.168.1.23:3000`; this browser's origin until the server has answered (or if it cannot). */
  base = $state(location.origin);
  #asked = false;

  /** Asks the server once per page load. */
  load(): void {
    if (this.#asked) return;
    this.#asked = true;
    getServerConfig().then(
      (config) => (this.base = config.joinBaseUrl),
      () => (this.#asked = false),
    );
  }

  /** `192.168.1.23:3000`, to type into a browser. */
  host = $derived(this.base.replace(/^https?:\/\//, ''));

  url(code: string): string {
    return `${this.base}${paths.join(code)}`;
  }
}

export const joinLink = new JoinLink();
