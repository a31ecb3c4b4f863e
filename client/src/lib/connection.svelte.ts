import { io, type Socket } from 'socket.io-client';
import type { z } from 'zod';
import { PROTOCOL_VERSION, requestLabel, type ClientToServerEvents, type ClusterAction, type InstructorAction, type ServerToClientEvents } from '@shared/protocol';
import { activity } from './activity.svelte';
import { classroom } from './classroom.svelte';
import { cluster } from './cluster.svelte';
import { readHandshakeRefusal, retryDelayMs, type RetriedCode } from './handshake-refusal';
import { requestLog } from './request-log.svelte';
import { round } from './round.svelte';
import { toasts } from './toasts.svelte';
import {
  ackSchema,
  classroomViewSchema,
  helloSchema,
  identitySchema,
  refusedSchema,
  removedSchema,
  resyncReplySchema,
  roundViewSchema,
  snapshotSchema,
  storeStateSchema,
  watchMessageSchema,
  type ParsedAck,
} from '@shared/protocol';

/** `held`: the server refused the session for now (see handshake-refusal.ts); the tab keeps its key and tries again. */
export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'held' | 'refused' | 'removed' | 'incompatible';

const ACK_TIMEOUT_MS = 10_000;

/**
 * This tab's one Socket.IO connection to its classroom. It authenticates with the stored token,
 * feeds the stores from the server's messages, and after a reconnect (also to a restarted server)
 * asks for what it missed: no page reload needed.
 */
class Connection {
  status = $state<ConnectionStatus>('idle');
  /** Why the server refused or ended the session, in its words. */
  problem = $state<string | null>(null);
  /** While `held`: the server's reason, which says what the tab waits for. */
  heldFor = $state<RetriedCode | null>(null);
  /**
   * Whether the server reaches the cluster's store (Redis), as it last said (on connect and on every
   * change). While it does not, the socket stays connected but every request is refused.
   */
  storeReachable = $state(true);
  /** Connected, to a server that cannot reach its store: the screen says so instead of "Connected". */
  storeAway = $derived(this.status === 'connected' && !this.storeReachable);
  /** The token this tab connected with (a grouped student's is their class's, while they play in a group). */
  token = $state<string | null>(null);
  #socket: Socket<ServerToClientEvents, ClientToServerEvents> | null = null;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #retries = 0;

  open(token: string): void {
    this.close();
    this.status = 'connecting';
    this.token = token;
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({ auth: { token }, transports: ['websocket', 'polling'] });
    this.#socket = socket;
    classroom.startTicking();

    socket.on('connect', () => {
      this.status = 'connected';
      this.problem = null;
      this.heldFor = null;
      this.#retries = 0;
      if (cluster.synced && !socket.recovered) this.#resync(socket);
    });
    socket.on('disconnect', (reason) => {
      if (this.status === 'removed') return;
      this.status = 'reconnecting';
      // Socket.IO does not retry after the server closed the socket; the handshake will tell whether we may return.
      if (reason === 'io server disconnect') socket.connect();
    });
    socket.io.on('reconnect_attempt', () => {
      if (this.status !== 'removed') this.status = 'reconnecting';
    });
    socket.on('connect_error', (error) => {
      // An active socket keeps retrying by itself (network down, server restarting). An inactive
      // one was refused by the server's handshake, which Socket.IO never retries: a refusal for
      // now (Redis unreachable) is retried here, with the same back-off; a final one (unknown
      // token, classroom closed) ends the session.
      if (socket.active) {
        this.status = 'reconnecting';
        return;
      }
      const refusal = readHandshakeRefusal(error);
      this.problem = refusal.message;
      if (!refusal.retry) {
        this.status = 'refused';
        this.heldFor = null;
        return;
      }
      this.status = 'held';
      this.heldFor = refusal.code;
      this.#retry = setTimeout(() => {
        this.#retry = null;
        socket.connect();
      }, retryDelayMs(this.#retries++, Math.random()));
    });

    this.#on(socket, 'hello', helloSchema, (hello) => {
      if (hello.protocolVersion !== PROTOCOL_VERSION) {
        this.status = 'incompatible';
        socket.disconnect();
      }
    });
    this.#on(socket, 'session', identitySchema, (identity) => (classroom.identity = identity));
    this.#on(socket, 'classroom', classroomViewSchema, (view) => (classroom.view = view));
    this.#on(socket, 'snapshot', snapshotSchema, (snapshot) => cluster.load(snapshot));
    // Changes and the request-log entries decided with them, in one message.
    (socket as unknown as { on(e: 'watch', f: (...args: unknown[]) => void): void }).on('watch', (...args) => {
      const parsed = watchMessageSchema.safeParse(args);
      if (!parsed.success) return console.warn('dropped a malformed watch message', parsed.error.issues);
      const [events, entries = []] = parsed.data;
      const applied = cluster.apply(events);
      if (applied.length) activity.note('api-server');
      for (const event of applied) {
        activity.note('etcd');
        const role = classroom.roleOfActor(event.actor);
        if (role) activity.note(role);
      }
      if (entries.length) requestLog.append(entries);
      for (const entry of entries) if (entry.role) activity.note(entry.role);
    });
    this.#on(socket, 'round', roundViewSchema, (view) => (round.view = view));
    this.#on(socket, 'store', storeStateSchema, ({ reachable }) => (this.storeReachable = reachable));
    // A request the server could not ack (sent without a callback) was refused all the same: say so.
    this.#on(socket, 'refused', refusedSchema, (refusal) => toasts.show('error', `${unackedRequest(refusal)} refused: ${refusal.code}`, refusal.message));
    this.#on(socket, 'removed', removedSchema, ({ message }) => {
      this.status = 'removed';
      this.problem = message;
      socket.disconnect();
    });
    socket.connect();
  }

  close(): void {
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    this.#retries = 0;
    this.#socket?.disconnect();
    this.#socket?.removeAllListeners();
    this.#socket = null;
    this.status = 'idle';
    this.problem = null;
    this.heldFor = null;
    this.storeReachable = true;
    this.token = null;
    cluster.clear();
    classroom.clear();
    requestLog.clear();
    round.clear();
  }

  /**
   * A cluster move (bind, pull, …), `label` in the words of its button. A refusal is toasted with
   * that label and the server's reason and message, and returned ("syncPodStatus refused" named the
   * action, a word the student never saw).
   */
  act(action: ClusterAction, label: string): Promise<ParsedAck> {
    return this.#request((socket) => socket.timeout(ACK_TIMEOUT_MS).emitWithAck('action', action), `"${label}" refused`);
  }

  /** An instructor request (assign role, start, fault, …). */
  instruct(action: InstructorAction): Promise<ParsedAck> {
    return this.#request((socket) => socket.timeout(ACK_TIMEOUT_MS).emitWithAck('instructor', action), `${action.kind} refused`);
  }

  async #request(send: (socket: Socket<ServerToClientEvents, ClientToServerEvents>) => Promise<unknown>, title: string): Promise<ParsedAck> {
    const socket = this.#socket;
    let ack: ParsedAck;
    if (!socket) {
      ack = { ok: false, code: 'ServiceUnavailable', message: 'Not connected to a classroom.' };
    } else {
      try {
        const parsed = ackSchema.safeParse(await send(socket));
        ack = parsed.success ? parsed.data : { ok: false, code: 'InternalError', message: 'The server sent an answer this page does not understand.' };
      } catch {
        ack = { ok: false, code: 'ServiceUnavailable', message: `The API server did not answer within ${ACK_TIMEOUT_MS / 1000} s.` };
      }
    }
    if (!ack.ok) toasts.show('error', `${title}: ${ack.code}`, ack.message);
    return ack;
  }

  #resync(socket: Socket<ServerToClientEvents, ClientToServerEvents>): void {
    socket.emit('resync', { resourceVersion: cluster.state.resourceVersion }, (raw) => {
      const reply = resyncReplySchema.safeParse(raw);
      if (!reply.success) return console.warn('resync: unexpected reply', reply.error);
      // A refusal (e.g. Expired) leaves the state as is: the server sends a fresh snapshot on connect.
      if (!reply.data.ok) return console.warn('resync refused', reply.data.message);
      if ('snapshot' in reply.data) cluster.load(reply.data.snapshot);
      else cluster.apply(reply.data.events);
    });
  }

  #on<E extends keyof ServerToClientEvents, T>(socket: Socket<ServerToClientEvents, ClientToServerEvents>, event: E, schema: z.ZodType<T>, handle: (payload: T) => void): void {
    // Socket.IO's typed `on` cannot be generic over the event name; the payload is parsed anyway.
    (socket as unknown as { on(e: string, f: (payload: unknown) => void): void }).on(event, (payload) => {
      const parsed = schema.safeParse(payload);
      if (parsed.success) handle(parsed.data);
      else console.warn(`dropped a malformed ${event} message`, parsed.error.issues);
    });
  }
}

/** Requests by their event, in words ("action refused" named the event, a word no student saw). */
const EVENT_WORDS: ReadonlyMap<string, string> = new Map([
  ['action', 'A move'],
  ['instructor', 'An instructor request'],
  ['resync', 'Catching up with the cluster'],
]);

/** A request refused without an ack: the move as its button names it (and the request log), else its event in words. */
function unackedRequest(refusal: z.infer<typeof refusedSchema>): string {
  if (refusal.verb !== undefined) return `"${requestLabel({ verb: refusal.verb, target: refusal.target ?? '', role: classroom.myRole })}"`;
  return EVENT_WORDS.get(refusal.event) ?? `The "${refusal.event}" request`;
}

export const connection = new Connection();
