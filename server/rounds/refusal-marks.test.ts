/** The round timeline's refusal marks: one per player and burst, naming the move as its button does. */
import { expect, test } from 'vitest';
import type { ApiRequestEntry } from '@shared/protocol';
import { newRecord } from './round-record';
import { addRefusalMarks } from './round-service';

const refusal = (simTime: number, extra: Partial<ApiRequestEntry>): ApiRequestEntry => ({
  id: String(simTime),
  wallTime: 0,
  simTime,
  actor: 'student:m-kim',
  actorName: 'Kim',
  role: 'scheduler',
  verb: 'bind',
  target: 'pods/web-4',
  outcome: 'refused',
  code: 'Conflict',
  message: 'pods "web-4" is already assigned to node "node-3"',
  ...extra,
});

test('a refused move is marked in the words of its button, a burst counted, a bot by its role (it read "refused: bind pods/web-4")', () => {
  const record = { ...newRecord('node-dies', 1, 1), startedAtSim: 1_000 };
  addRefusalMarks(record, [
    refusal(101_000, {}),
    refusal(121_000, { actor: 'bot:kube-proxy:node-2', actorName: 'bot', role: 'kube-proxy:node-2', verb: 'routeRequest', target: 'services/web', code: 'ServiceUnavailable', message: 'no endpoints' }),
    refusal(122_000, { actor: 'bot:kube-proxy:node-2', actorName: 'bot', role: 'kube-proxy:node-2', verb: 'routeRequest', target: 'services/web', code: 'ServiceUnavailable', message: 'no endpoints' }),
  ]);
  expect(record.timeline).toEqual([
    { atSeconds: 100, kind: 'refusal', text: 'refused: "Bind web-4" (Conflict) pods "web-4" is already assigned to node "node-3"', by: 'cluster', actor: 'Kim' },
    { atSeconds: 120, kind: 'refusal', text: '2 refusals: "Send a request to web from node-2" (ServiceUnavailable) no endpoints', by: 'cluster', actor: 'bot (kube-proxy:node-2)' },
  ]);
});
