import { isFaultMade, type RoundView } from '@shared/protocol';
import { formatClock } from './round-clock';

/**
 * The debrief's line for each fault: when it came, what it was, and how long the class took to
 * meet every goal (again, if each had been met before it). A fault's text is a clause of its own ("the kubelet on node-2 is stopped",
 * "kube-proxy on node-1 is stopped: requests from node-1 follow its last rules…"), so it is a
 * sentence of its own: "Recovered from the kubelet on node-2 is stopped: 2:00" read as nonsense.
 */
export function recoveryLines(view: Pick<RoundView, 'timeline' | 'debrief'>): string[] {
  // The server lists the recoveries in the order of the faults made (not the moments they brought about).
  const faults = view.timeline.filter(isFaultMade);
  return (view.debrief?.recoveries ?? []).map((r, i) => {
    const mark = faults[i]?.text === r.fault ? faults[i] : undefined;
    const fault = /[.!?]$/.test(r.fault) ? r.fault : `${r.fault}.`;
    const what = mark ? `At ${formatClock(mark.atSeconds)}, ${fault}` : `Fault: ${fault}`;
    // "again" only where every goal had been met before the fault: etcd's outage came before any was.
    const again = r.again === true ? ' again' : '';
    return `${what} ${r.seconds === null ? `The goals were not all met${again} before the round ended.` : `Every goal was met${again} ${formatClock(r.seconds)} later.`}`;
  });
}

/**
 * Said before the scenario's debrief points when time ran out before the step its goals waited
 * for: the points tell that step and what came of it, which this round never saw. node-dies lost
 * before node-2 went down said "The kubelet on node-2 stopped renewing its Lease" as though it had,
 * under goals that "never counted (waited for: node-2's machine goes down)". A goal may wait for
 * another goal (told by its words): the step is what the first goal waiting on no goal waits for.
 */
export function unplayedStepText(view: Pick<RoundView, 'phase' | 'goals'>): string | null {
  if (view.phase !== 'lost') return null;
  const goals = new Set(view.goals.map((g) => g.about ?? g.text));
  const step = view.goals.find((g) => !g.met && g.waitsFor !== undefined && !goals.has(g.waitsFor))?.waitsFor;
  return step === undefined ? null : `Time ran out before ${step}: the points below tell what this round was to show from then on.`;
}
