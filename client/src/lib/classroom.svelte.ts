import { simNow, type ClassroomView, type Identity, type MemberView, type Role } from '@shared/protocol';

/** Who this tab is and what it knows about its classroom (roster, seats, phase, clock). */
class ClassroomStore {
  identity = $state.raw<Identity | null>(null);
  view = $state.raw<ClassroomView | null>(null);
  /** Wall clock, ticking twice a second while a classroom is open: drives simulated-time timers. */
  wallNow = $state(Date.now());

  /** This tab's member id; null on the host screen, which is no member. */
  memberId = $derived(this.identity && this.identity.kind !== 'display' ? this.identity.memberId : null);
  me = $derived<MemberView | undefined>(this.view?.members.find((m) => m.id === this.memberId));
  /** The role as the roster says it (the roster follows assignments live; the identity may lag). */
  myRole = $derived<Role | null>(this.me?.role ?? (this.identity?.kind === 'student' ? this.identity.role : null));
  students = $derived((this.view?.members ?? []).filter((m) => m.kind === 'student'));
  /** Simulated milliseconds now, frozen while paused. */
  simNow = $derived(this.view ? simNow(this.view.clock, this.wallNow) : 0);

  #ticker: ReturnType<typeof setInterval> | null = null;

  startTicking(): void {
    this.#ticker ??= setInterval(() => (this.wallNow = Date.now()), 500);
  }

  clear(): void {
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = null;
    this.identity = null;
    this.view = null;
  }

  /** The role a watch event's or request's actor played (`bot:<role>`, `student:<id>`). */
  roleOfActor(actor: string): string | null {
    if (actor.startsWith('bot:')) return actor.slice(4);
    if (actor.startsWith('student:')) return this.view?.members.find((m) => m.id === actor.slice(8))?.role ?? null;
    return null;
  }

  /**
   * Who plays a role now: the students' names, else the bot, as the seat says. `most`: a crowd on
   * one seat is named up to that many, then counted ("Pia, Chen and 7 more"), for the host screen.
   */
  playerOf(role: Role, most = Infinity): string {
    const seat = this.view?.seats.find((s) => s.role === role);
    if (!seat) return '';
    const names = seat.studentIds.map((id) => this.nameOf(id));
    if (names.length > most) return `${names.slice(0, most - 1).join(', ')} and ${names.length - most + 1} more`;
    if (names.length) return names.join(', ');
    return seat.bot === 'playing' ? 'bot' : 'nobody';
  }

  nameOf(memberId: string): string {
    return this.view?.members.find((m) => m.id === memberId)?.name ?? memberId;
  }
}

export const classroom = new ClassroomStore();
