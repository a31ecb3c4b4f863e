/**
 * A write's guard: it commits only while a key of the classroom (same hash tag) holds the value
 * the writer decided on, checked in the commit script itself. The API server guards a bot's move
 * with the seat version its seat was checked at (server/classroom/keys.ts), so a seat handed over
 * between the check and the write refuses the write, with no read of its own on the move's path.
 */
export interface Guard {
  key: string;
  /** What the key holds; a missing key holds '0'. */
  value: string;
}

/** The guard no longer held: nothing was written. */
export class GuardMoved extends Error {
  constructor(readonly guard: Guard | undefined) {
    super(`${guard?.key ?? 'the guard'} moved from ${guard?.value ?? ''}: nothing was written`);
    this.name = 'GuardMoved';
  }
}
