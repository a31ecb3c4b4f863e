/**
 * Every request gets an answer. A client request is one payload and an ack callback
 * (`emit('action', payload, ack)`); the guard refuses, before any handler runs:
 * - a message larger than the cap: `PayloadTooLarge`, then the connection is closed;
 * - a request with no ack, or with more (or fewer) arguments than a payload and an ack: `BadRequest`;
 * - an event nobody handles, when it carries an ack: `BadRequest`;
 * - from the host screen (a read-only token), an `action` or `instructor` request: `Forbidden`.
 * A refusal goes to the ack when there is one, else as a `refused` event to the sending socket
 * only (naming the move an `action` asked for, as the request log does). Refusals without an ack are logged at most once per socket per minute.
 */
import { clusterAction, refuse, type Refusal, type SocketData } from '@shared/protocol';
import { targetOf } from '../cluster/targets';
import type { Logger } from '../logger';
import type { ClusterPlaySocket } from './types';

/** The requests of the protocol, each `(payload, ack)`. */
const REQUESTS: ReadonlySet<string> = new Set(['action', 'instructor', 'resync']);
/** What the host screen may ask: to catch up after a reconnect. Moves and instructor requests are not its to make. */
const DISPLAY_REQUESTS: ReadonlySet<string> = new Set(['resync']);

export const readOnlyDisplay = (event: string): Refusal =>
  refuse('Forbidden', `the host screen is read-only: it may watch this classroom but not send "${event}" requests; the instructor console and the students' screens make changes`);
const LOG_EVERY_MS = 60_000;

export interface RequestGuardOptions {
  /** The largest message a client may send, in bytes of its JSON. */
  maxMessageBytes: number;
  logger: Logger;
}

type AckFn = (reply: Refusal) => void;

/** The JSON size of a message's arguments, as the client sent them (binary parts counted as JSON too). */
function messageBytes(args: unknown[]): number {
  return Buffer.byteLength(JSON.stringify(args.filter((a) => typeof a !== 'function')) ?? '');
}

const kib = (bytes: number): string => `${Math.round(bytes / 1024)} KiB`;

function refusalOf(socket: ClusterPlaySocket, event: string, args: unknown[], ack: AckFn | undefined, maxMessageBytes: number): Refusal | null {
  const bytes = messageBytes(args);
  if (bytes > maxMessageBytes) {
    return refuse('PayloadTooLarge', `the "${event}" message is ${bytes} bytes (${kib(bytes)}); a message may be at most ${maxMessageBytes} bytes (${kib(maxMessageBytes)}); the connection is closed`);
  }
  if (REQUESTS.has(event) && !DISPLAY_REQUESTS.has(event) && (socket.data as Partial<SocketData>).identity?.kind === 'display') return readOnlyDisplay(event);
  if (!REQUESTS.has(event)) return (socket as unknown as NodeJS.EventEmitter).listenerCount(event) || !ack ? null : refuse('BadRequest', `unknown request "${event}": the server answers action, instructor and resync`);
  if (!ack) return refuse('BadRequest', `"${event}" needs an acknowledgement callback: emit("${event}", payload, ack)`);
  if (args.length !== 2) return refuse('BadRequest', `"${event}" takes one payload and an acknowledgement callback; it was sent with ${args.length - 1} argument(s) before the callback`);
  return null;
}

/** The move an `action` request asked for, as the request log names it: the toast names it as its button does. */
function moveOf(event: string, payload: unknown): { verb: string; target: string } | undefined {
  const action = event === 'action' ? clusterAction.safeParse(payload) : undefined;
  return action?.success ? { verb: action.data.kind, target: targetOf(action.data) } : undefined;
}

export function guardRequests(socket: ClusterPlaySocket, { maxMessageBytes, logger }: RequestGuardOptions): void {
  let loggedAt = -Infinity;
  socket.use((packet, next) => {
    const [event, ...args] = packet as [string, ...unknown[]];
    const last = args.at(-1);
    const ack = typeof last === 'function' ? (last as AckFn) : undefined;
    const refusal = refusalOf(socket, event, args, ack, maxMessageBytes);
    if (!refusal) return next();
    if (ack) ack(refusal);
    // `local`, so it leaves now, ahead of a disconnect (with connection state recovery, a plain
    // `socket.emit` takes the adapter's Redis stream and would arrive after it).
    else socket.nsp.local.to(socket.id).emit('refused', { ...refusal, event, ...moveOf(event, args[0]) });
    const now = Date.now();
    if (!ack && now - loggedAt >= LOG_EVERY_MS) {
      loggedAt = now;
      logger.warn({ socket: socket.id, event, code: refusal.code, message: refusal.message }, 'refused a request without an ack (logged once a minute per socket)');
    }
    if (refusal.code === 'PayloadTooLarge') {
      if (ack) logger.warn({ socket: socket.id, event, message: refusal.message }, 'closing a connection that sent an oversized message');
      // After the refusal: the disconnect packet and the close follow it on the same transport.
      socket.disconnect(true);
    }
  });
}
