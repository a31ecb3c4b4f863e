/**
 * A scenario as data: what the class reads (briefing, objective), the cluster it starts from (nodes
 * and ordinary Kubernetes manifests), what happens to it on the round clock (timed steps), what
 * winning means (goals over the cluster and the request log), the time limit and the debrief.
 */
import { z } from 'zod';
import { TaintSchema, validateObject, type KubeObject } from '@shared/model';
import { faultSchema, scenarioId } from '@shared/protocol/actions';
import { parseCheck } from './goals';

const quantity = z.union([z.string().min(1).max(16), z.number().positive()]).transform(String);
const label = z.string().min(1).max(253);

export const scenarioNodeSchema = z
  .object({
    name: z.string().regex(/^node-[1-9][0-9]?$/, 'must be node-1, node-2, … in order (each names a kubelet role)'),
    cpu: quantity.optional(),
    memory: quantity.optional(),
    pods: z.number().int().min(1).max(250).optional(),
    labels: z.record(label, z.string().max(63)).optional(),
    taints: z.array(TaintSchema).optional(),
  })
  .strict();

/** Kinds a scenario may start with: what `kubectl apply` takes in this game. */
const WORKLOAD_KINDS = new Set(['Deployment', 'Service', 'Pod']);

/** An ordinary Kubernetes manifest, checked as the API server would check it. */
const workloadSchema = z.unknown().transform((input, ctx): KubeObject => {
  const kind = typeof input === 'object' && input !== null && 'kind' in input ? String(input.kind) : '';
  if (!WORKLOAD_KINDS.has(kind)) {
    ctx.addIssue({ code: 'custom', path: ['kind'], message: `must be Deployment, Service or Pod, not "${kind}"` });
    return z.NEVER;
  }
  const checked = validateObject(input);
  if (checked.ok) return checked.object;
  const causes = checked.error.details?.causes ?? [];
  if (!causes.length) ctx.addIssue({ code: 'custom', message: checked.message });
  for (const cause of causes) {
    ctx.addIssue({ code: 'custom', path: (cause.field ?? '').split(/\.|(?=\[)/).filter(Boolean), message: cause.message ?? checked.message });
  }
  return z.NEVER;
});

const checkSchema = z.string().min(1).max(200).superRefine((text, ctx) => {
  const parsed = parseCheck(text);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
});

const idSchema = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a lowercase RFC 1123 label').max(63);

export const scenarioStepSchema = z
  .object({
    /** A name a goal's `after` can wait for. */
    id: idSchema.optional(),
    /** Simulated seconds after the round starts, or after `when` first holds. */
    at: z.number().min(0).max(24 * 3600),
    /**
     * A check written as a goal's (`deployment/web readyReplicas == 3`): the step waits until it
     * holds, so a fault meets the cluster the briefing describes however fast the class plays.
     */
    when: checkSchema.optional(),
    action: faultSchema,
    /** What the timeline says about it (else a line made from the action). */
    note: z.string().max(200).optional(),
  })
  .strict();

export const scenarioGoalSchema = z
  .object({
    id: idSchema,
    check: checkSchema,
    /** One line for the class about what this goal means. */
    about: z.string().max(300).optional(),
    /** A short name, for the goals that wait for this one ("waits for: node-2 drained"): they showed its whole `about` line again. */
    title: z.string().min(1).max(60).optional(),
    /**
     * A step's id, or an earlier goal's: the goal counts only once that step fired or that goal was
     * met (a goal about recovering from a fault that held before it would show met before the fault).
     */
    after: idSchema.optional(),
  })
  .strict();

export const scenarioSchema = z
  .object({
    id: scenarioId,
    title: z.string().min(1).max(100),
    /** The lesson objective this round serves. */
    objective: z.string().min(1).max(500),
    briefing: z.string().min(1).max(4000),
    timeLimitSeconds: z.number().int().min(30).max(4 * 3600),
    nodes: z.array(scenarioNodeSchema).min(1).max(12),
    workloads: z.array(workloadSchema).max(50).default([]),
    steps: z.array(scenarioStepSchema).max(100).default([]),
    goals: z.array(scenarioGoalSchema).min(1).max(20),
    /** What the debrief says, naming the component at work. */
    debrief: z.array(z.string().min(1).max(500)).min(1).max(20),
  })
  .strict()
  .superRefine((s, ctx) => {
    s.nodes.forEach((n, i) => {
      if (n.name !== `node-${i + 1}`) ctx.addIssue({ code: 'custom', path: ['nodes', i, 'name'], message: `must be node-${i + 1}: nodes are numbered in order` });
    });
    // Steps and goals share one set of ids: a goal's `after` names either.
    const ids = new Set<string>();
    s.steps.forEach((step, i) => {
      if (step.id === undefined) return;
      if (ids.has(step.id)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `Duplicate value: "${step.id}"` });
      ids.add(step.id);
    });
    s.goals.forEach((g, i) => {
      if (g.after !== undefined && !ids.has(g.after)) {
        ctx.addIssue({ code: 'custom', path: ['goals', i, 'after'], message: `Not found: "${g.after}" is no step's id nor an earlier goal's` });
      }
      if (ids.has(g.id)) ctx.addIssue({ code: 'custom', path: ['goals', i, 'id'], message: `Duplicate value: "${g.id}"` });
      ids.add(g.id);
    });
    const names = new Set<string>();
    s.workloads.forEach((w, i) => {
      const key = `${w.kind}/${w.metadata.name}`;
      if (names.has(key)) ctx.addIssue({ code: 'custom', path: ['workloads', i, 'metadata', 'name'], message: `Duplicate value: ${key}` });
      names.add(key);
    });
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioNode = z.output<typeof scenarioNodeSchema>;
export type ScenarioStep = z.output<typeof scenarioStepSchema>;
export type ScenarioGoal = z.output<typeof scenarioGoalSchema>;
