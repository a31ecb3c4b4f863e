/** The API request log entries of a bot's pass: the class sees what the bots asked, as it sees its own requests. */
import { randomUUID } from 'node:crypto';
import { RESOURCE } from '@shared/model';
import type { ApiRequestEntry, Role } from '@shared/protocol';
import type { ApplyOutcome } from './cluster-runtime';

/** Where entries go: the classroom's request log stream and its `requests` broadcast. */
export type RequestLogSink = (classroomId: string, entries: ApiRequestEntry[]) => void;

export function botEntries(role: Role, requests: ApplyOutcome['requests'], simTime: number): ApiRequestEntry[] {
  return requests.map(({ request, refusal }) => {
    const entry: ApiRequestEntry = {
      id: randomUUID(),
      wallTime: Date.now(),
      simTime,
      actor: `bot:${role}`,
      actorName: 'bot',
      role,
      verb: request.verb,
      target: `${RESOURCE[request.kind].split('.')[0] ?? ''}/${request.name}`,
      outcome: refusal ? 'refused' : 'accepted',
      message: refusal ? refusal.message : request.reason,
    };
    if (refusal) entry.code = refusal.code;
    return entry;
  });
}
