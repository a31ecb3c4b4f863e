import type { GroupView, GroupsResponse } from '@shared/protocol';

/** How often the host screen asks for the groups (wall ms): their clocks move in whole seconds. */
const POLL_MS = 1000;

/**
 * The class's groups as the host screen compares them, read over REST with the screen's token
 * (each group plays in a classroom of its own, so no socket of this class carries them).
 */
class ClassGroupsState {
  groups = $state<GroupView[]>([]);
  #timer: ReturnType<typeof setTimeout> | undefined;

  follow(classroomId: string, token: string): () => void {
    let stopped = false;
    const poll = async (): Promise<void> => {
      try {
        const res = await fetch(`/api/classrooms/${encodeURIComponent(classroomId)}/groups`, { headers: { authorization: `Bearer ${token}` } });
        if (res.ok) this.groups = ((await res.json()) as GroupsResponse).groups;
      } catch {
        // The connection indicator tells of an outage; the last comparison stays up.
      }
      if (!stopped) this.#timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(this.#timer);
    };
  }
}

export const classGroups = new ClassGroupsState();
