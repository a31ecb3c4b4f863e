/**
 * A scenario from its YAML: parsed, then checked against the schema. A mistake is refused with the
 * field path named (`goals[1].check: …`), so the author knows where to look; nothing is half-read.
 */
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { scenarioSchema, type Scenario } from './schema';

/** Aliases a scenario may resolve: enough for shared anchors, far from a "billion laughs" document. */
const MAX_ALIASES = 50;
/** The largest scenario file taken (a briefing, a few manifests and goals). */
export const MAX_SCENARIO_BYTES = 128 * 1024;

export type ScenarioParse = { ok: true; scenario: Scenario } | { ok: false; message: string };

/** `goals[1].check`, `workloads[0].spec.replicas`, `nodes[2].taints[0].effect`. */
export function pathOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, segment) => (typeof segment === 'number' ? `${out}[${segment}]` : out ? `${out}.${String(segment)}` : String(segment)), '');
}

export function issuesMessage(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${pathOf(i.path)}: ${i.message}` : i.message))
    .join('; ');
}

export function parseScenario(text: string): ScenarioParse {
  if (new TextEncoder().encode(text).length > MAX_SCENARIO_BYTES) return { ok: false, message: `the scenario is larger than ${MAX_SCENARIO_BYTES / 1024} KiB` };
  let input: unknown;
  try {
    const document = parseDocument(text);
    if (document.errors.length) return { ok: false, message: `the scenario is not valid YAML: ${document.errors[0]?.message ?? ''}` };
    input = document.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    return { ok: false, message: `the scenario cannot be read: ${error instanceof Error ? error.message : String(error)}` };
  }
  const parsed = scenarioSchema.safeParse(input);
  return parsed.success ? { ok: true, scenario: parsed.data } : { ok: false, message: issuesMessage(parsed.error.issues) };
}
