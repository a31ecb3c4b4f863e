import type { GroupView } from '@shared/protocol';
import { listGroups } from './api';

/** How often the groups are asked for (wall ms): their clocks move in whole seconds. */
const POLL_MS = 1000;

/**
 * The class's groups, read over REST with this page's token (each group plays in a classroom of
 * its own, so no socket of this class carries them): the host screen compares them, the
 * instructor's console drives them.
 */
class ClassGroupsState {
  groups = $state<GroupView[]>([]);
  /** False until the first answer: the console does not offer to split a class that may already be. */
  loaded = $state(false);
  #timer: ReturnType<typeof setTimeout> | undefined;
  #poll: (() => Promise<void>) | null = null;

  follow(classroomId: string, token: string): () => void {
    let stopped = false;
    let inFlight = false;
    let again = false;
    const poll = async (): Promise<void> => {
      // One chain of polls: a refresh during a poll asks again as soon as that one is answered.
      if (inFlight) return void (again = true);
      inFlight = true;
      clearTimeout(this.#timer);
      try {
        const { groups } = await listGroups(classroomId, token);
        if (stopped) return;
        this.groups = groups;
        this.loaded = true;
      } catch {
        // The connection indicator tells of an outage; the last comparison stays up.
      }
      inFlight = false;
      if (stopped) return;
      if (again) {
        again = false;
        return poll();
      }
      this.#timer = setTimeout(() => void poll(), POLL_MS);
    };
    this.#poll = poll;
    void poll();
    return () => {
      stopped = true;
      clearTimeout(this.#timer);
      this.#poll = null;
      this.groups = [];
      this.loaded = false;
    };
  }

  /** Asks again at once (after the instructor split, dissolved or drove the groups). */
  refresh(): Promise<void> {
    return this.#poll?.() ?? Promise.resolve();
  }
}

export const classGroups = new ClassGroupsState();
