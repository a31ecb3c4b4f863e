import { refuse } from '@shared/protocol';
import { TokenBucket } from './token-bucket';
import type { ClusterPlaySocket } from './types';

export interface SocketRate {
  perSecond: number;
  burst: number;
}

/** Every incoming event of the socket takes a token; without one it is acked `TooManyRequests` and dropped. */
export function limitSocketRate(socket: ClusterPlaySocket, rate: SocketRate): void {
  const bucket = new TokenBucket(rate.perSecond, rate.burst);
  socket.use((packet, next) => {
    if (bucket.take()) return next();
    const ack: unknown = packet[packet.length - 1];
    if (typeof ack === 'function') {
      ack(refuse('TooManyRequests', `too many requests: at most ${rate.perSecond} per second (bursts of ${rate.burst}); slow down`));
    }
  });
}

/** A socket without a token may not ask for anything. */
export function refuseAnonymousEvents(socket: ClusterPlaySocket): void {
  socket.use((packet) => {
    const ack: unknown = packet[packet.length - 1];
    if (typeof ack === 'function') ack(refuse('Unauthorized', 'this connection has no token: join a classroom first'));
  });
}
