import { z } from 'zod';

/**
 * The lifecycle of a member's seat. A student who drops out keeps the role through a grace
 * period (a flaky Wi-Fi should not hand the scheduler to a bot); after it the bot plays again.
 * A connected presence names the server process that wrote it (`serverId`), so when that process
 * dies the others can tell its members apart and start their grace periods.
 */
export type Presence =
  | { state: 'connected'; since: number; socketId: string; serverId?: string }
  | { state: 'disconnected'; since: number; graceUntil: number }
  | { state: 'handedBack'; since: number };

export const presenceSchema: z.ZodType<Presence> = z.discriminatedUnion('state', [
  z.object({ state: z.literal('connected'), since: z.number(), socketId: z.string(), serverId: z.string().optional() }),
  z.object({ state: z.literal('disconnected'), since: z.number(), graceUntil: z.number() }),
  z.object({ state: z.literal('handedBack'), since: z.number() }),
]);

/** A member who never connected has left nothing to hand back: the bot plays their role. */
export const neverConnected: Presence = { state: 'handedBack', since: 0 };

/**
 * The presence as of `now`: a grace period that ran out is a hand-back even if no timer wrote it,
 * so a server that died mid-grace leaves no seat held forever.
 */
export function presenceAt(presence: Presence | undefined, now: number): Presence {
  if (!presence) return neverConnected;
  if (presence.state === 'disconnected' && now >= presence.graceUntil) return { state: 'handedBack', since: presence.graceUntil };
  return presence;
}

/** Whether the member still plays their role (connected, or away within the grace period). */
export function holdsSeat(presence: Presence): boolean {
  return presence.state !== 'handedBack';
}

export function connected(now: number, socketId: string, serverId?: string): Presence {
  return serverId === undefined ? { state: 'connected', since: now, socketId } : { state: 'connected', since: now, socketId, serverId };
}

export type Disconnected = Extract<Presence, { state: 'disconnected' }>;

export function disconnected(now: number, graceMs: number): Disconnected {
  return { state: 'disconnected', since: now, graceUntil: now + graceMs };
}
