/** Bumped whenever a message changes shape; the client refuses to talk to another version. */
export const PROTOCOL_VERSION = 1;

export interface ServerHello {
  protocolVersion: number;
  serverId: string;
}

/** Events the server emits to a client. */
export interface ServerToClientEvents {
  hello: (hello: ServerHello) => void;
}

/** Events a client emits to the server; each carries an ack. */
export interface ClientToServerEvents {
  ping: (ack: (reply: { ok: true; serverTime: number }) => void) => void;
}

export type InterServerEvents = Record<string, never>;

export interface SocketData {
  connectedAt: number;
}
