import type { ErrorCode } from '@shared/protocol';

/** A request refused on purpose: HTTP turns it into `{ code, message }` + status, sockets into a refusal ack. */
export class RefusalError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RefusalError';
  }
}
