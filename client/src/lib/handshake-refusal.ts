import { z } from 'zod';
import { ErrorCode } from '@shared/protocol';

/**
 * How a tab reads the server's refusal of its handshake (`connect_error` on a socket the server
 * turned away, `error.data.code`; see server/gateway/auth.ts and session-handlers.ts). Two codes
 * say "not now" rather than "never", as they do in Kubernetes: ServiceUnavailable (the server
 * cannot reach its store, Redis, to check the token) and TooManyRequests (this member already
 * holds the most sockets allowed). The tab keeps its key and tries again by itself. Every other
 * refusal (Unauthorized: unknown or revoked token; Forbidden: classroom closed) is final.
 */
export type HandshakeRefusal = { retry: true; code: RetriedCode; message: string } | { retry: false; message: string };

const RETRIED = [ErrorCode.ServiceUnavailable, ErrorCode.TooManyRequests] as const;
export type RetriedCode = (typeof RETRIED)[number];

const refusalData = z.object({ code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]) });

export function readHandshakeRefusal(error: Error & { data?: unknown }): HandshakeRefusal {
  const data = refusalData.safeParse(error.data);
  const code = data.success ? data.data.code : null;
  const retried = RETRIED.find((c) => c === code);
  return retried ? { retry: true, code: retried, message: error.message } : { retry: false, message: error.message };
}

/** Socket.IO's own reconnection delays (1 s doubling to 5 s, ±50 %), for the retries it leaves to us. */
export const RETRY_MIN_MS = 1000;
export const RETRY_MAX_MS = 5000;

/** The wait before retry number `attempt` (0 first); `random` in [0, 1) spreads a class's tabs apart. */
export function retryDelayMs(attempt: number, random: number): number {
  const base = Math.min(RETRY_MIN_MS * 2 ** attempt, RETRY_MAX_MS);
  return Math.min(Math.round(base * (0.5 + random)), RETRY_MAX_MS);
}
