/**
 * What feeds a classroom owner's sim timers (jobs/local-timers.ts). The world timers (a CRI call
 * finishing, a container exiting) are derived from the cluster, as kwok derives a pod's next stage
 * from the object: from the whole stored cluster when the process takes the classroom over, and
 * from each change its cache applies for the machines the change touched, whoever wrote it (a
 * student's move on another process's socket included). The timer sweep compares them with the
 * stored cluster every pass too (TimerSweep.bookOwed). The other timers come from the owner's own
 * moves (ClusterRuntime.apply) and only wake its bots.
 */
import type { ClassroomView } from '@shared/protocol';
import { owedWorldTimers } from '@shared/sim';
import type { LocalTimers } from '../jobs/local-timers';
import type { ClusterRuntime } from './cluster-runtime';

/** Kinds whose changes can start or end a world timer: a runtime's calls and containers, a machine stopped or started. */
const MACHINE_KINDS: ReadonlySet<string> = new Set(['ContainerRuntime', 'Node']);

export class OwnerTimers {
  constructor(
    private readonly runtime: ClusterRuntime,
    private readonly local: LocalTimers,
    private readonly owns: (classroomId: string) => boolean,
  ) {}

  /** From every change the owner's cache applies: the world timers of the machines it touched. */
  register(): void {
    this.runtime.onStateChange((classroomId, _simTime, events, state) => {
      if (!this.local.follows(classroomId)) return;
      const nodes = new Set<string>();
      for (const { object } of events) if (MACHINE_KINDS.has(object.kind)) nodes.add(object.metadata.name);
      if (nodes.size) this.local.schedule(classroomId, owedWorldTimers(state, nodes));
    });
  }

  /** This process took the classroom over: its timers run here, and what the stored cluster waits on is booked. */
  async takeOver(view: ClassroomView): Promise<void> {
    if (!this.owns(view.id)) return;
    this.local.follow(view.id, view.clock);
    const state = await this.runtime.state(view.id);
    // Given up meanwhile (its lease lapsed during the read): released() ran before the follow above.
    if (!this.owns(view.id)) return this.local.stop(view.id);
    this.local.schedule(view.id, owedWorldTimers(state));
  }

  /** The room as last read (the timer sweep's, every 30 s at most): a clock change whose announcement was lost is followed. */
  noteView(view: ClassroomView): void {
    if (this.local.follows(view.id)) this.local.follow(view.id, view.clock);
  }
}
