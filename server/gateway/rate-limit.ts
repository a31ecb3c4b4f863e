import { refuse } from '@shared/protocol';
import type { MemberRate, MemberRateLimiter } from '../classroom/member-rate';
import type { Logger } from '../logger';
import { TokenBucket } from './token-bucket';
import { isAuthenticated, type ClusterPlaySocket } from './types';

export interface AnonymousSocketLimits {
  /** Sockets without a token this process holds open at once; one more is disconnected at once. */
  limit: number;
  /** How long a socket without a token is held open: long enough for the landing page to say hello. */
  timeoutMs: number;
}

export interface SocketLimitsOptions {
  logger: Logger;
  /** The budget of each member, shared by all their sockets on every process (and their kubectl). */
  members: MemberRateLimiter;
  anonymous: AnonymousSocketLimits;
}

/** A socket.io middleware answering an event it drops; events without an ack are dropped silently. */
function refuseEvent(packet: unknown[], code: 'TooManyRequests' | 'Unauthorized', message: string): void {
  const ack: unknown = packet[packet.length - 1];
  if (typeof ack === 'function') ack(refuse(code, message));
}

/**
 * The limits of the gateway: every event of a member draws from one token bucket per member kept
 * in Redis (so 8 tabs, or tabs on two processes, get one budget, not eight); sockets without a
 * token are capped in number and time.
 */
export class SocketLimits {
  readonly #anonymous = new Set<ClusterPlaySocket>();

  constructor(private readonly options: SocketLimitsOptions) {}

  /** Every incoming event takes a token of the member's bucket; without one it is acked `TooManyRequests` and dropped. */
  limit(socket: ClusterPlaySocket): void {
    const { members } = this.options;
    if (!isAuthenticated(socket)) return limitMemberRate(socket, members.rate);
    const identity = socket.data.identity;
    socket.use((packet, next) => {
      const decide = (wait: number): void => (wait === 0 ? next() : refuseEvent(packet, 'TooManyRequests', tooManyMessage(members.rate)));
      const wait = members.take(identity);
      if (typeof wait === 'number') decide(wait);
      else void wait.then(decide);
    });
  }

  /** A socket without a token: refused events, a place among `anonymous.limit`, and a deadline. */
  holdAnonymous(socket: ClusterPlaySocket): void {
    refuseAnonymousEvents(socket);
    const { limit, timeoutMs } = this.options.anonymous;
    if (this.#anonymous.size >= limit) {
      this.options.logger.debug({ socket: socket.id, limit }, 'too many sockets without a token; disconnected one');
      socket.disconnect(true);
      return;
    }
    this.#anonymous.add(socket);
    const timer = setTimeout(() => socket.disconnect(true), timeoutMs);
    socket.once('disconnect', () => {
      clearTimeout(timer);
      this.#anonymous.delete(socket);
    });
  }
}

const tooManyMessage = (rate: MemberRate): string => `too many requests: at most ${rate.perSecond} per second (bursts of ${rate.burst}); slow down`;

/** Every incoming event of the socket takes a token of its own bucket (sockets without a member to share one). */
export function limitMemberRate(socket: ClusterPlaySocket, rate: MemberRate): void {
  const bucket = new TokenBucket(rate.perSecond, rate.burst);
  socket.use((packet, next) => {
    if (bucket.take()) return next();
    refuseEvent(packet, 'TooManyRequests', tooManyMessage(rate));
  });
}

/** A socket without a token may not ask for anything. */
export function refuseAnonymousEvents(socket: ClusterPlaySocket): void {
  socket.use((packet) => refuseEvent(packet, 'Unauthorized', 'this connection has no token: join a classroom first'));
}
