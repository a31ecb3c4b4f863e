/**
 * The setup every kubectl test shares: a test server of its own, a classroom with students in their
 * roles, the instructor's socket, and kubectl with the kubeconfig each member downloads.
 */
import { inject } from 'vitest';
import type { InstructorAction, Role } from '@shared/protocol';
import type { RunningServer } from '../../app';
import { assignRoles, classroomWith, connectCluster, type Classroom, type ClusterClient } from '../../cluster/testing/cluster-client';
import { startTestServer } from '../../testing/test-server';
import { kubectlFor, type Kubectl } from './kubectl';

export interface KubectlClassroom {
  server: RunningServer;
  classroom: Classroom;
  instructor: ClusterClient;
  /** kubectl with the instructor's kubeconfig. */
  kubectl: Kubectl;
  /** kubectl with a student's kubeconfig (downloaded once, disposed by close). */
  student(name: string): Promise<Kubectl>;
  close(): Promise<void>;
}

export interface KubectlClassroomOptions {
  students?: Record<string, Role | null>;
  /** The classroom's creation body beyond its students (nodes, title). */
  body?: object;
  /** The server's settings beyond its own key prefix. */
  env?: Record<string, string>;
  /** The instructor's actions once roles are set; `play` is the bots at 20× playing the round. */
  then?: readonly InstructorAction[] | 'play';
}

/** The bots play the round quickly: time scale 20, a move every half a simulated second. */
export const PLAY: readonly InstructorAction[] = [{ kind: 'setTimeScale', timeScale: 20 }, { kind: 'setBotPace', secondsPerAction: 0.5 }, { kind: 'start' }];

export async function kubectlClassroom(name: string, { students = {}, body = {}, env = {}, then = [] }: KubectlClassroomOptions = {}): Promise<KubectlClassroom> {
  const server = await startTestServer({ JOIN_RATE_LIMIT: '100000', ...env, REDIS_KEY_PREFIX: `${inject('redisKeyPrefix')}-${name}` });
  const classroom = await classroomWith(server.url, Object.keys(students), body);
  const instructor = await connectCluster(server.url, classroom.instructorToken);
  const roles = Object.fromEntries(Object.entries(students).filter((entry): entry is [string, Role] => entry[1] !== null));
  if (Object.keys(roles).length > 0) await assignRoles(instructor, classroom, roles);
  for (const action of then === 'play' ? PLAY : then) {
    const reply = await instructor.instructor(action);
    if (!reply.ok) throw new Error(`${action.kind} refused: ${reply.message ?? ''}`);
  }
  const kubectl = await kubectlFor(server.url, classroom.id, classroom.instructorToken);
  const kubectls = new Map<string, Kubectl>();
  return {
    server,
    classroom,
    instructor,
    kubectl,
    async student(member) {
      const known = kubectls.get(member);
      if (known) return known;
      const token = classroom.students.get(member)?.token;
      if (!token) throw new Error(`no student ${member} in the classroom`);
      const made = await kubectlFor(server.url, classroom.id, token);
      kubectls.set(member, made);
      return made;
    },
    async close() {
      for (const k of [kubectl, ...kubectls.values()]) k.dispose();
      instructor.close();
      await server.close();
    },
  };
}
