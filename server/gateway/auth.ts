import { z } from 'zod';
import type { ErrorCode } from '@shared/protocol';
import type { ClassroomRepository } from '../classroom/repository';
import { RefusalError } from '../classroom/refusal-error';
import type { Logger } from '../logger';
import { isRedisUnavailable } from '../redis/unavailable';
import type { ClusterPlaySocket } from './types';

/** What the client's `connect_error` carries: `error.message`, and `error.data.code`. */
class HandshakeError extends Error {
  constructor(
    message: string,
    readonly data: { code: ErrorCode },
  ) {
    super(message);
  }
}

export const HANDSHAKE_REDIS_UNAVAILABLE = "ServiceUnavailable: the server cannot reach the cluster's store (Redis) to check your key right now";

const handshakeAuth = z.object({ token: z.string().min(1).max(256).optional() });

/**
 * Handshake `auth: { token }` -> `socket.data.identity`, re-read from Redis on every connect
 * (including recovered ones), so a restart or a role change never leaves a stale identity.
 */
export function authenticateHandshake(classrooms: ClassroomRepository, logger: Logger) {
  return async (socket: ClusterPlaySocket, next: (error?: Error) => void): Promise<void> => {
    const auth = handshakeAuth.safeParse(socket.handshake.auth ?? {});
    if (!auth.success) return next(new HandshakeError('Unauthorized: auth.token must be the token the join request returned', { code: 'Unauthorized' }));
    const token = auth.data.token;
    if (token === undefined) return next(); // the landing page, before joining
    try {
      const identity = await classrooms.authenticate(token);
      if (!identity) return next(new HandshakeError('Unauthorized: unknown or revoked token; join the classroom again with its code', { code: 'Unauthorized' }));
      socket.data.identity = identity;
      next();
    } catch (error) {
      // Not final: the client keeps its token and tries again (client/src/lib/handshake-refusal.ts).
      // The store's usual words ("nothing was changed … try again") are about a request, not a handshake.
      if (isRedisUnavailable(error)) return next(new HandshakeError(HANDSHAKE_REDIS_UNAVAILABLE, { code: 'ServiceUnavailable' }));
      if (error instanceof RefusalError) return next(new HandshakeError(`${error.code}: ${error.message}`, { code: error.code }));
      logger.error({ err: error }, 'handshake failed');
      next(new HandshakeError('ServiceUnavailable: the server cannot check tokens right now; retrying', { code: 'ServiceUnavailable' }));
    }
  };
}
