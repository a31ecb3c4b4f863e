import type { Move } from '@shared/sim';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/**
 * A stand-in for Socket.IO's client socket, as far as Connection uses it: listeners, `connect()`,
 * and `active`, which Socket.IO clears when the server's handshake refuses the socket (it then
 * never retries by itself).
 */
class FakeSocket {
  active = false;
  recovered = false;
  connects = 0;
  readonly io = { on: () => undefined };
  #listeners = new Map<string, Array<(...args: unknown[]) => void>>();
  on(event: string, listener: (...args: unknown[]) => void): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    return this;
  }
  emit(event: string, ...args: unknown[]): void {
    for (const listener of this.#listeners.get(event) ?? []) listener(...args);
  }
  connect(): this {
    this.connects++;
    this.active = true;
    return this;
  }
  disconnect(): this {
    this.active = false;
    return this;
  }
  removeAllListeners(): this {
    this.#listeners.clear();
    return this;
  }
  /** What the server answers the next requests sent with an ack. */
  answer: unknown = { ok: true };
  readonly sent: Array<[string, unknown]> = [];
  timeout(): { emitWithAck: (event: string, payload: unknown) => Promise<unknown> } {
    return {
      emitWithAck: (event, payload) => {
        this.sent.push([event, payload]);
        return Promise.resolve(this.answer);
      },
    };
  }
  /** The server's middleware refused the handshake: Socket.IO destroys the socket, then reports it. */
  refuse(message: string, data: unknown): void {
    this.active = false;
    this.emit('connect_error', Object.assign(new Error(message), { data }));
  }
}

const sockets: FakeSocket[] = [];
vi.mock('socket.io-client', () => ({
  io: () => {
    const socket = new FakeSocket();
    sockets.push(socket);
    return socket;
  },
}));

const { connection } = await import('./connection.svelte');
const { moves } = await import('./moves.svelte');
const { toasts } = await import('./toasts.svelte');

const REDIS_DOWN = "ServiceUnavailable: the server cannot reach the cluster's store (Redis) to check your key right now";

describe('connection: a handshake refused for now is retried, a final one ends the session', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // no jitter: the delays are the back-off's own
  });
  afterEach(() => {
    connection.close();
    sockets.length = 0;
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('keeps the key and tries again by itself while Redis is unreachable (ServiceUnavailable), 1 s doubling to 5 s, until let in', () => {
    connection.open('token-1');
    const socket = sockets[0]!;
    expect(socket.connects).toBe(1);

    const retriedAfter: number[] = [];
    for (let i = 0; i < 5; i++) {
      socket.refuse(REDIS_DOWN, { code: 'ServiceUnavailable' });
      expect([connection.status, connection.heldFor, connection.problem, connection.token]).toEqual(['held', 'ServiceUnavailable', REDIS_DOWN, 'token-1']);
      const before = socket.connects;
      let waited = 0;
      while (socket.connects === before && waited < 60_000) {
        vi.advanceTimersByTime(100);
        waited += 100;
      }
      retriedAfter.push(waited);
    }
    expect(retriedAfter).toEqual([1000, 2000, 4000, 5000, 5000]);

    socket.emit('connect');
    expect([connection.status, connection.heldFor, connection.problem]).toEqual(['connected', null, null]);
    // Let in: the back-off starts again from 1 s at the next refusal.
    socket.refuse(REDIS_DOWN, { code: 'ServiceUnavailable' });
    vi.advanceTimersByTime(999);
    expect(socket.connects).toBe(6);
    vi.advanceTimersByTime(1);
    expect(socket.connects).toBe(7);
  });

  it('retries a member over their socket cap (TooManyRequests) the same way', () => {
    connection.open('token-1');
    const socket = sockets[0]!;
    const message = 'TooManyRequests: you already have at most 8 connections open to this classroom; close a tab and try again';
    socket.refuse(message, { code: 'TooManyRequests' });
    expect([connection.status, connection.heldFor, connection.problem]).toEqual(['held', 'TooManyRequests', message]);
    vi.advanceTimersByTime(1000);
    expect(socket.connects).toBe(2);
  });

  it.each([
    ['an unknown or revoked token', 'Unauthorized: unknown or revoked token; join the classroom again with its code', { code: 'Unauthorized' }],
    ['a closed classroom', 'Forbidden: this classroom is closed', { code: 'Forbidden' }],
    ['a refusal without a code', 'Invalid namespace', undefined],
  ])('ends the session on %s, and never tries again', (_what, message, data) => {
    connection.open('token-1');
    const socket = sockets[0]!;
    socket.refuse(message, data);
    expect([connection.status, connection.heldFor, connection.problem]).toEqual(['refused', null, message]);
    vi.advanceTimersByTime(60_000);
    expect(socket.connects).toBe(1);
  });

  it('ends the session when the next try is refused for good (the instructor removed the student meanwhile)', () => {
    connection.open('token-1');
    const socket = sockets[0]!;
    socket.refuse(REDIS_DOWN, { code: 'ServiceUnavailable' });
    vi.advanceTimersByTime(1000);
    const revoked = 'Unauthorized: unknown or revoked token; join the classroom again with its code';
    socket.refuse(revoked, { code: 'Unauthorized' });
    expect([connection.status, connection.heldFor, connection.problem]).toEqual(['refused', null, revoked]);
    vi.advanceTimersByTime(60_000);
    expect(socket.connects).toBe(2);
  });

  it('leaves a network error to Socket.IO, which retries an active socket itself', () => {
    connection.open('token-1');
    const socket = sockets[0]!;
    socket.emit('connect_error', new Error('websocket error'));
    expect(connection.status).toBe('reconnecting');
    vi.advanceTimersByTime(60_000);
    expect(socket.connects).toBe(1);
  });

  it('stops trying once the page closes the connection', () => {
    connection.open('token-1');
    const socket = sockets[0]!;
    socket.refuse(REDIS_DOWN, { code: 'ServiceUnavailable' });
    connection.close();
    vi.advanceTimersByTime(60_000);
    expect([connection.status, socket.connects]).toEqual(['idle', 1]);
  });
});

describe("connection: a connected tab follows the server's word on its store (the store event)", () => {
  afterEach(() => {
    connection.close();
    sockets.length = 0;
  });

  it('is storeAway while connected to a server that cannot reach Redis, and back when it can; a malformed message changes nothing', () => {
    connection.open('token-1');
    const socket = sockets[0]!;
    socket.emit('connect');
    socket.emit('store', { reachable: true });
    expect([connection.status, connection.storeAway]).toEqual(['connected', false]);
    socket.emit('store', { reachable: false });
    expect([connection.status, connection.storeAway]).toEqual(['connected', true]);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    socket.emit('store', { reachable: 'yes' });
    expect(connection.storeAway).toBe(true);
    socket.emit('store', { reachable: true });
    expect(connection.storeAway).toBe(false);
    vi.restoreAllMocks();
  });

  it('says Reconnecting rather than storeAway once the socket drops, and forgets the store on close', () => {
    connection.open('token-1');
    const socket = sockets[0]!;
    socket.emit('connect');
    socket.emit('store', { reachable: false });
    socket.emit('disconnect', 'transport close');
    expect([connection.status, connection.storeAway]).toEqual(['reconnecting', false]);
    connection.close();
    connection.open('token-2');
    sockets[1]!.emit('connect');
    expect([connection.status, connection.storeAway]).toEqual(['connected', false]);
  });
});

describe('connection: a refused move is toasted in the words of its button', () => {
  afterEach(() => {
    connection.close();
    sockets.length = 0;
  });

  it('names the move as its button did, with the API server\'s reason and message word for word (it read "syncDeployment refused: Conflict")', async () => {
    connection.open('token-1');
    const socket = sockets[0]!;
    socket.emit('connect');
    const message = 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again';
    socket.answer = { ok: false, code: 'Conflict', message };
    const move: Move = { action: { kind: 'syncDeployment', deployment: 'web' }, label: 'Sync deployment web', why: 'web wants 3 replicas', progress: true };
    expect(await moves.make(move)).toBe(false);
    expect(socket.sent).toEqual([['action', { kind: 'syncDeployment', deployment: 'web' }]]);
    expect(toasts.items.map((t) => [t.tone, t.title, t.message])).toEqual([['error', '"Sync deployment web" refused: Conflict', message]]);
  });
});

describe('connection: a request refused without an ack is toasted in words, not by its event or action kind', () => {
  afterEach(() => {
    for (const t of [...toasts.items]) toasts.dismiss(t.id);
    connection.close();
    sockets.length = 0;
  });

  it('names the move as the request log does, else the request in words (it read "action refused: BadRequest")', () => {
    connection.open('token-1');
    const socket = sockets[0]!;
    socket.emit('connect');
    for (const t of [...toasts.items]) toasts.dismiss(t.id);
    const message = '"action" needs an acknowledgement callback: emit("action", payload, ack)';
    socket.emit('refused', { ok: false, code: 'BadRequest', message, event: 'action', verb: 'syncDeployment', target: 'deployments/web' });
    socket.emit('refused', { ok: false, code: 'BadRequest', message: 'no ack', event: 'instructor' });
    expect(toasts.items.map((t) => [t.title, t.message])).toEqual([
      ['"Sync deployment web" refused: BadRequest', message],
      ['An instructor request refused: BadRequest', 'no ack'],
    ]);
  });
});
