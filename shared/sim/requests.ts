/**
 * What the loops return: API requests to make (data, never mutations) and timers to set, each with
 * a short human explanation the client can show.
 */
import type { Kind, KubeObject, PropagationPolicy } from '@shared/model';
import type { Timer } from './timers';

interface Target {
  kind: Kind;
  namespace?: string;
  name: string;
  /** One line for the class: what and why. */
  reason: string;
}

export type ApiRequest =
  | (Target & { verb: 'create'; object: KubeObject })
  /** `update` writes spec and metadata, `updateStatus` the status (the status subresource). */
  | (Target & { verb: 'update' | 'updateStatus'; object: KubeObject; resourceVersion?: string })
  /**
   * A pod bound to a node is deleted gracefully: the kubelet finishes with gracePeriodSeconds 0.
   * `propagationPolicy` (DeleteOptions) decides what the garbage collector does with dependents.
   */
  | (Target & { verb: 'delete'; resourceVersion?: string; gracePeriodSeconds?: number; propagationPolicy?: PropagationPolicy })
  | (Target & { verb: 'bind'; kind: 'Pod'; node: string; resourceVersion?: string });

export interface TimerRequest {
  verb: 'timer';
  timer: Timer;
  reason: string;
}

export type Step = ApiRequest | TimerRequest;

export function isApiRequest(step: Step): step is ApiRequest {
  return step.verb !== 'timer';
}

function target(obj: KubeObject, reason: string): Target {
  const t: Target = { kind: obj.kind, name: obj.metadata.name, reason };
  if (obj.metadata.namespace !== undefined) t.namespace = obj.metadata.namespace;
  return t;
}

function withVersion<T extends object>(req: T, obj: KubeObject): T & { resourceVersion?: string } {
  return obj.metadata.resourceVersion === undefined ? req : { ...req, resourceVersion: obj.metadata.resourceVersion };
}

export const create = (object: KubeObject, reason: string): ApiRequest => ({ verb: 'create', ...target(object, reason), object });

/** `object` is the new version of `base` (whose resourceVersion the decision was based on). */
export const update = (base: KubeObject, object: KubeObject, reason: string): ApiRequest =>
  withVersion({ verb: 'update' as const, ...target(base, reason), object }, base);

export const updateStatus = (base: KubeObject, object: KubeObject, reason: string): ApiRequest =>
  withVersion({ verb: 'updateStatus' as const, ...target(base, reason), object }, base);

export const remove = (obj: KubeObject, reason: string, gracePeriodSeconds?: number): ApiRequest =>
  withVersion({ verb: 'delete' as const, ...target(obj, reason), ...(gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds }) }, obj);

export const timer = (t: Timer, reason: string): TimerRequest => ({ verb: 'timer', timer: t, reason });
