import { ROUND_TIME_SCALE, instructorAction, refuse, type Ack, type Identity, type InstructorAction } from '@shared/protocol';
import type { ClassroomChangeReason } from '../classroom/changes';
import { RefusalError } from '../classroom/refusal-error';
import { isClusterInstructorAction, type ClusterInstructorAction } from '../cluster/instructor-actions';
import { memberRoom, studentsRoom } from './rooms';
import type { ClusterPlaySocket, GatewayDeps } from './types';

type Reply = Ack<{ message?: string }>;
type Instructor = Extract<Identity, { kind: 'instructor' }>;
type RoomAction = Exclude<InstructorAction, ClusterInstructorAction>;

const ok = (message?: string): Reply => (message ? { ok: true, message } : { ok: true });

/** The room-level instructor requests: roles, lock, removal, bots, the clock, closing. */
async function handleRoomAction(action: RoomAction, instructor: Instructor, { io, classrooms, broadcaster, cluster }: GatewayDeps): Promise<Reply> {
  const classroomId = instructor.classroomId;
  const announce = (reasons: ClassroomChangeReason[], memberIds: string[] = []) => broadcaster.announce(classroomId, reasons, memberIds);
  switch (action.kind) {
    case 'assignRole':
      await classrooms.assignRole(classroomId, action.studentId, action.role);
      await announce(['roles'], [action.studentId]);
      return ok();
    case 'autoAssignRoles': {
      const assigned = await classrooms.autoAssignRoles(classroomId);
      await announce(['roles'], assigned);
      return ok(`assigned roles to ${assigned.length} student(s)`);
    }
    case 'lockRoom':
      await classrooms.setLocked(classroomId, action.locked);
      await announce(['locked']);
      return ok();
    case 'removeStudent': {
      await classrooms.removeStudent(classroomId, action.studentId);
      // Both go through the adapter's stream, in this order, to whichever process holds the sockets.
      io.to(memberRoom(classroomId, action.studentId)).emit('removed', { message: 'The instructor removed you from this classroom.' });
      io.in(memberRoom(classroomId, action.studentId)).disconnectSockets(true);
      await announce(['members'], [action.studentId]);
      return ok();
    }
    case 'setBotHelp':
      await classrooms.setBotHelp(classroomId, action.role, action.enabled);
      await announce(['botHelp']);
      return ok();
    case 'setBotPace':
      await classrooms.setBotPace(classroomId, { secondsPerAction: action.secondsPerAction });
      await announce(['botPace']);
      return ok();
    case 'start':
    case 'pause':
    case 'resume':
      await classrooms.runCommand(classroomId, { kind: action.kind });
      await announce(['clock']);
      return ok();
    case 'setTimeScale':
      if ((action.timeScale < ROUND_TIME_SCALE.min || action.timeScale > ROUND_TIME_SCALE.max) && (await cluster.rounds.active(classroomId))) {
        return refuse('BadRequest', `timeScale: a round runs between ${ROUND_TIME_SCALE.min}x and ${ROUND_TIME_SCALE.max}x, not ${action.timeScale}x`);
      }
      await classrooms.runCommand(classroomId, { kind: 'setTimeScale', timeScale: action.timeScale });
      await announce(['clock']);
      return ok();
    case 'closeClassroom':
      await classrooms.runCommand(classroomId, { kind: 'close' });
      await announce(['clock']);
      io.to(studentsRoom(classroomId)).emit('removed', { message: 'The instructor closed this classroom.' });
      io.in(studentsRoom(classroomId)).disconnectSockets(true);
      return ok();
  }
}

async function handleInstructor(socket: ClusterPlaySocket, payload: unknown, deps: GatewayDeps): Promise<Reply> {
  const identity = socket.data.identity;
  if (identity.kind !== 'instructor') return refuse('Forbidden', 'only the instructor of this classroom may send instructor requests');
  const parsed = instructorAction.safeParse(payload);
  if (!parsed.success) {
    const reply = refuse('BadRequest', parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
    const kind = typeof payload === 'object' && payload !== null && 'kind' in payload ? String(payload.kind).slice(0, 40) : 'unknown';
    await deps.cluster.api.roomRefusal(identity, kind, '', reply);
    return reply;
  }
  const action = parsed.data;
  if (isClusterInstructorAction(action)) return (await deps.cluster.api.instruct(identity, action)).reply;
  const reply = await handleRoomAction(action, identity, deps).catch((error: unknown) => {
    if (error instanceof RefusalError) return refuse(error.code, error.message);
    throw error;
  });
  if (!reply.ok) await deps.cluster.api.roomRefusal(identity, action.kind, roomTarget(action), reply);
  return reply;
}

/** What a room control names, for the request log. */
function roomTarget(action: RoomAction): string {
  switch (action.kind) {
    case 'assignRole':
      return `${action.studentId}${action.role ? ` as ${action.role}` : ''}`;
    case 'removeStudent':
      return action.studentId;
    case 'setBotHelp':
      return action.role;
    case 'setTimeScale':
      return `${action.timeScale}x`;
    case 'lockRoom':
      return action.locked ? 'locked' : 'unlocked';
    default:
      return '';
  }
}

export function registerInstructorHandlers(socket: ClusterPlaySocket, deps: GatewayDeps): void {
  socket.on('instructor', (payload: unknown, ack: unknown) => {
    const reply = (answer: Reply) => {
      if (typeof ack === 'function') ack(answer);
    };
    deps.work.run('an instructor request', async () => {
      try {
        reply(await handleInstructor(socket, payload, deps));
      } catch (error) {
        if (!(error instanceof RefusalError)) {
          deps.logger.error({ err: error }, 'instructor request failed');
          return reply(refuse('InternalError', 'the server failed to handle this request'));
        }
        reply(refuse(error.code, error.message));
      }
    });
  });
}
