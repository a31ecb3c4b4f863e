/**
 * A write kubectl makes while the class's clock stands still (the lobby, a pause, a round's briefing
 * or debrief) is stored, and nothing acts on it: no kubelet confirms a delete, no controller
 * follows, so `kubectl delete pod` or `drain` waits with no word why. The API server's own way to
 * tell a client something about a request it accepted is a warning (k8s.io/apiserver's warning
 * package: a `Warning: 299 - "<text>"` header), which kubectl prints on stderr as `Warning: <text>`.
 */
import type { Response } from 'express';
import type { ClassroomPhase, RoundPhase } from '@shared/protocol';
import type { KubeApiDeps } from './routes';

/** Why nothing will act on a change, in the words of the class's screens; null while the clock runs (or the classroom is closed: no write is taken). */
export function stoppedClockWarning(phase: ClassroomPhase, round: RoundPhase | undefined): string | null {
  if (phase !== 'lobby' && phase !== 'paused') return null;
  const until = (what: string) => `nothing in the cluster will act on this change until the instructor ${what}`;
  if (round === 'briefing') return `the round has not started: ${until('starts it')}`;
  if (round === 'won' || round === 'lost') return `the round is over and the class is paused: ${until('starts the next round')}`;
  if (phase === 'lobby') return `the class has not started: ${until('starts it')}`;
  return `the class is paused: ${until('resumes it')}`;
}

/** The header value as k8s.io/apimachinery's net.NewWarningHeader(299, "-", text) writes it: the text quoted, `"` and `\` escaped. */
export const warningHeader = (text: string): string => `299 - "${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/** Adds the warning to an accepted write's answer while the class's clock stands still. */
export async function warnIfClockStopped(deps: Pick<KubeApiDeps, 'cluster'>, res: Response, classroomId: string): Promise<void> {
  const run = await deps.cluster.runtime.run(classroomId);
  if (!run?.clock.paused) return;
  const round = await deps.cluster.rounds.view(classroomId, run.clock);
  const text = stoppedClockWarning(run.phase, round?.phase);
  if (text !== null) res.append('Warning', warningHeader(text));
}
