/**
 * Test helpers: a real socket.io-client member that folds `snapshot` + `watch` with the protocol's
 * own reducer (as the browser does) and sends `action`s; and a classroom set up over REST.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClusterAction, ClientToServerEvents, InstructorAction, Role, ServerToClientEvents } from '@shared/protocol';
import { EMPTY_CLUSTER_STATE, allObjects, applySnapshot, applyWatchEvents, type ClusterState } from '@shared/protocol/watch-reducer';
import { simNow, type ApiRequestEntry, type ClassroomView, type Identity, type WatchEvent } from '@shared/protocol';
import type { ActionReply } from '../api-server';
import { createClassroom, joinClassroom } from '../../gateway/test-clients';
import { waitFor } from '../../testing/wait';
import type { ObjectStore } from '../../store';

export interface ClusterClient {
  socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  readonly state: ClusterState;
  /** Every watch message with changes, as sent (to see coalescing). */
  batches: WatchEvent[][];
  /** Every snapshot's resourceVersion, and how many batches had come before it. */
  snapshots: { resourceVersion: string; afterBatches: number }[];
  requests: ApiRequestEntry[];
  /** Every `session` (who the server says this connection is), in order. */
  sessions: Identity[];
  /** The last `classroom` view (seats, clock). */
  readonly view: ClassroomView | null;
  /** The classroom's simulated now, from the clock this client was sent. */
  simNow(): number;
  act(action: ClusterAction | Record<string, unknown>): Promise<ActionReply>;
  instructor(action: InstructorAction): Promise<{ ok: boolean; message?: string }>;
  /** Resolves once the client's folded state has reached this resourceVersion. */
  reached(resourceVersion: string): Promise<void>;
  close(): void;
}

export function connectCluster(url: string, token: string, { reconnection = false } = {}): Promise<ClusterClient> {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, { transports: ['websocket'], reconnection, reconnectionDelay: 100, reconnectionDelayMax: 500, auth: { token } });
  let state = EMPTY_CLUSTER_STATE;
  let view: ClassroomView | null = null;
  const client: ClusterClient = {
    socket,
    get state() {
      return state;
    },
    batches: [],
    snapshots: [],
    requests: [],
    sessions: [],
    get view() {
      return view;
    },
    simNow: () => (view ? Math.floor(simNow(view.clock, Date.now())) : 0),
    act: (action) => socket.timeout(10_000).emitWithAck('action', action as ClusterAction),
    instructor: (action) => socket.timeout(10_000).emitWithAck('instructor', action),
    reached: (rv) => waitFor(() => BigInt(state.resourceVersion) >= BigInt(rv), { what: `client state at resourceVersion ${rv}`, timeoutMs: 20_000 }).then(() => undefined),
    close: () => socket.close(),
  };
  socket.on('snapshot', (snapshot) => {
    client.snapshots.push({ resourceVersion: snapshot.resourceVersion, afterBatches: client.batches.length });
    state = applySnapshot(snapshot);
  });
  socket.on('watch', (events, requests) => {
    if (requests) client.requests.push(...requests);
    // A refusal comes alone, without changes: no batch.
    if (!events.length) return;
    client.batches.push(events);
    state = applyWatchEvents(state, events);
  });
  socket.on('session', (identity) => client.sessions.push(identity));
  socket.on('classroom', (next) => void (view = next));
  return waitFor(() => client.snapshots.length > 0 && client, { what: 'the first snapshot', timeoutMs: 20_000 });
}

/** The store's objects as a comparable, ordered list (what every client must hold in the end). */
export async function storeObjects(store: ObjectStore, classroomId: string): Promise<{ resourceVersion: string; objects: string[] }> {
  const snapshot = await store.snapshot(classroomId);
  return { resourceVersion: snapshot.resourceVersion, objects: snapshot.objects.map((o) => JSON.stringify(o)).sort() };
}

export function clientObjects(state: ClusterState): { resourceVersion: string; objects: string[] } {
  return { resourceVersion: state.resourceVersion, objects: allObjects(state).map((o) => JSON.stringify(o)).sort() };
}

export interface Classroom {
  id: string;
  code: string;
  instructorToken: string;
  students: Map<string, { studentId: string; token: string }>;
}

/** A classroom with students joined by name; roles assigned by the instructor over a socket. */
export async function classroomWith(url: string, names: string[], body: object = {}): Promise<Classroom> {
  const created = await createClassroom(url, body);
  const students = new Map<string, { studentId: string; token: string }>();
  for (const name of names) {
    const joined = await joinClassroom(url, created.code, name);
    students.set(name, { studentId: joined.studentId, token: joined.token });
  }
  return { id: created.id, code: created.code, instructorToken: created.instructorToken, students };
}

export async function assignRoles(instructor: ClusterClient, classroom: Classroom, roles: Record<string, Role>): Promise<void> {
  for (const [name, role] of Object.entries(roles)) {
    const student = classroom.students.get(name);
    if (!student) throw new Error(`no student ${name}`);
    const reply = await instructor.instructor({ kind: 'assignRole', studentId: student.studentId, role });
    if (!reply.ok) throw new Error(`assignRole failed: ${JSON.stringify(reply)}`);
  }
}
