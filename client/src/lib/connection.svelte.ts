import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION, type ClientToServerEvents, type ServerToClientEvents } from '@shared/protocol';

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'incompatible';

/** The one Socket.IO connection of this tab and its state, for the indicator and the stores. */
class Connection {
  status = $state<ConnectionStatus>('connecting');
  serverId = $state<string | null>(null);
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;

  constructor() {
    this.socket = io({ autoConnect: false, transports: ['websocket', 'polling'] });
    this.socket.on('connect', () => (this.status = 'connected'));
    this.socket.on('disconnect', () => (this.status = 'reconnecting'));
    this.socket.io.on('reconnect_attempt', () => (this.status = 'reconnecting'));
    this.socket.on('connect_error', () => {
      if (!this.socket.active) this.status = 'disconnected';
    });
    this.socket.on('hello', (hello) => {
      this.serverId = hello.serverId;
      if (hello.protocolVersion !== PROTOCOL_VERSION) this.status = 'incompatible';
    });
  }

  start(): void {
    this.socket.connect();
  }
}

export const connection = new Connection();
