import type { Ack, Identity, InstructorAction } from '@shared/protocol';

/** Instructor requests that change the cluster rather than the room; the cluster half handles them. */
export const CLUSTER_INSTRUCTOR_KINDS = ['fault', 'apply', 'deleteObject', 'reset', 'runScenario'] as const;
export type ClusterInstructorKind = (typeof CLUSTER_INSTRUCTOR_KINDS)[number];
export type ClusterInstructorAction<K extends ClusterInstructorKind = ClusterInstructorKind> = Extract<InstructorAction, { kind: K }>;

export type ClusterInstructorHandler<K extends ClusterInstructorKind> = (
  action: ClusterInstructorAction<K>,
  instructor: Extract<Identity, { kind: 'instructor' }>,
) => Promise<Ack<{ message?: string }>>;

export function isClusterInstructorAction(action: InstructorAction): action is ClusterInstructorAction {
  return (CLUSTER_INSTRUCTOR_KINDS as readonly string[]).includes(action.kind);
}

/** The seam where the cluster half plugs its handlers; a kind nobody registered is refused, never ignored. */
export class ClusterInstructorRegistry {
  readonly #handlers = new Map<ClusterInstructorKind, ClusterInstructorHandler<ClusterInstructorKind>>();

  register<K extends ClusterInstructorKind>(kind: K, handler: ClusterInstructorHandler<K>): void {
    if (this.#handlers.has(kind)) throw new Error(`a handler for instructor action "${kind}" is already registered`);
    // Looked up by the action's own kind, so the handler only ever sees actions of kind K.
    this.#handlers.set(kind, (action, instructor) => handler(action as ClusterInstructorAction<K>, instructor));
  }

  handle(action: ClusterInstructorAction, instructor: Extract<Identity, { kind: 'instructor' }>): Promise<Ack<{ message?: string }>> {
    const handler = this.#handlers.get(action.kind);
    if (!handler) {
      return Promise.resolve({
        ok: false,
        code: 'BadRequest',
        message: `instructor action "${action.kind}" is not available yet: the cluster half of the API server does not handle it in this version`,
      });
    }
    return handler(action, instructor);
  }
}
