import { io, type Socket } from 'socket.io-client';
import type {
  Ack,
  ClassroomView,
  ClientToServerEvents,
  CreateClassroomResponse,
  Identity,
  InstructorAction,
  JoinClassroomResponse,
  ServerToClientEvents,
} from '@shared/protocol';
import { waitFor } from '../testing/wait';

/** Test helpers: real HTTP requests and real socket.io-client connections, with what they received. */

export async function post<T>(url: string, path: string, body: unknown): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

export async function createClassroom(url: string, body: object = {}): Promise<CreateClassroomResponse> {
  const res = await post<CreateClassroomResponse>(url, '/api/classrooms', body);
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function joinClassroom(url: string, code: string, name: string): Promise<JoinClassroomResponse> {
  const res = await post<JoinClassroomResponse>(url, '/api/classrooms/join', { code, name });
  if (res.status !== 201) throw new Error(`join answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export interface TestClient {
  socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  sessions: Identity[];
  views: ClassroomView[];
  removed: string[];
  /** Waits for a `classroom` view (received so far or later) that passes the check. */
  view(check: (view: ClassroomView) => boolean, what?: string): Promise<ClassroomView>;
  session(check: (identity: Identity) => boolean, what?: string): Promise<Identity>;
  instructor(action: InstructorAction | Record<string, unknown>): Promise<Ack<{ message?: string }>>;
  close(): void;
}

export function connectClient(url: string, token?: string): TestClient {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, {
    transports: ['websocket'],
    reconnection: false,
    ...(token ? { auth: { token } } : {}),
  });
  const client: TestClient = {
    socket,
    sessions: [],
    views: [],
    removed: [],
    view: (check, what = 'a matching classroom view') => waitFor(() => client.views.findLast(check), { what }),
    session: (check, what = 'a matching session') => waitFor(() => client.sessions.findLast(check), { what }),
    instructor: (action) => socket.timeout(5000).emitWithAck('instructor', action as InstructorAction),
    close: () => socket.close(),
  };
  socket.on('session', (identity) => client.sessions.push(identity));
  socket.on('classroom', (view) => client.views.push(view));
  socket.on('removed', ({ message }) => client.removed.push(message));
  return client;
}

/** Connects and waits until the server has sent the session and a first view. */
export async function connectMember(url: string, token: string): Promise<TestClient> {
  const client = connectClient(url, token);
  await new Promise<void>((resolve, reject) => {
    client.socket.once('connect', () => resolve());
    client.socket.once('connect_error', reject);
  });
  await client.session(() => true, 'the session');
  await client.view(() => true, 'the first classroom view');
  return client;
}

export function connectError(url: string, token: string): Promise<Error & { data?: { code?: string } }> {
  const client = connectClient(url, token);
  return new Promise((resolve, reject) => {
    client.socket.once('connect', () => {
      client.close();
      reject(new Error('connected, expected a refusal'));
    });
    client.socket.once('connect_error', (error) => {
      client.close();
      resolve(error);
    });
  });
}
