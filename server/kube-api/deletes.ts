/**
 * delete and deletecollection with DeleteOptions (preconditions, gracePeriodSeconds,
 * propagationPolicy), from the body kubectl sends or the query client libraries may use.
 */
import { PROPAGATION_POLICIES, badRequest, type KubeObject, type PropagationPolicy } from '@shared/model';
import { ApiError, isApiError, type ObjectStore, type WriteContext } from '../store';
import { isPlainObject } from '../store/merge-patch';
import { queryParam, type KubeRequest } from './request';
import { listOf } from './reads';
import { goQuote, type NotSupported } from './write-options';

export interface DeleteOptions {
  uid?: string;
  resourceVersion?: string;
  gracePeriodSeconds?: number;
  propagationPolicy?: PropagationPolicy;
}

const policyOf = (body: unknown, query: Record<string, unknown>): unknown => (isPlainObject(body) ? body['propagationPolicy'] : undefined) ?? queryParam(query, 'propagationPolicy');

/** ValidateDeleteOptions' check of propagationPolicy (its dryRun check is write-options.ts's). */
export function propagationPolicyErrors(body: unknown, query: Record<string, unknown>): NotSupported[] {
  const policy = policyOf(body, query);
  if (policy === undefined || PROPAGATION_POLICIES.includes(policy as PropagationPolicy)) return [];
  return [{ field: 'propagationPolicy', value: goQuote(String(policy)), supported: ['Foreground', 'Background', 'Orphan', 'nil'] }];
}

/** The options of a delete whose propagationPolicy was validated (propagationPolicyErrors). */
export function deleteOptionsOf(body: unknown, query: Record<string, unknown>): DeleteOptions {
  const options = isPlainObject(body) ? body : {};
  const policy = policyOf(body, query) as PropagationPolicy | undefined;
  const pre = isPlainObject(options['preconditions']) ? options['preconditions'] : {};
  const grace = options['gracePeriodSeconds'] ?? queryParam(query, 'gracePeriodSeconds');
  if (grace !== undefined && !Number.isInteger(Number(grace))) throw new ApiError(badRequest(`gracePeriodSeconds: Invalid value: ${JSON.stringify(grace)}: must be an integer`));
  return {
    ...(typeof pre['uid'] === 'string' ? { uid: pre['uid'] } : {}),
    ...(typeof pre['resourceVersion'] === 'string' ? { resourceVersion: pre['resourceVersion'] } : {}),
    ...(grace === undefined ? {} : { gracePeriodSeconds: Number(grace) }),
    ...(policy === undefined ? {} : { propagationPolicy: policy }),
  };
}

type Ref = { kind: KubeRequest['resource']['kind']; name: string; namespace: string | undefined };

/** One delete through the store's admission; the object as it stands after (terminating), or undefined once gone. */
export async function deleteObject(store: ObjectStore, classroomId: string, ref: Ref, options: DeleteOptions, context: WriteContext): Promise<KubeObject | undefined> {
  // propagationPolicy goes to admission, which sets the orphan/foregroundDeletion finalizers the garbage collector acts on.
  const deleted = await store.apply(classroomId, { verb: 'delete', ...ref, ...options }, context);
  return deleted.metadata.deletionTimestamp ? deleted : undefined;
}

/** The answer to a delete: the terminating object, or a Success Status naming what is gone. */
export function deletedBody(parsed: KubeRequest, name: string, before: KubeObject | undefined, after: KubeObject | undefined): object {
  if (after) return after;
  const [kind, group = ''] = parsed.resource.group ? [parsed.resource.plural, parsed.resource.group] : [parsed.resource.plural];
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group, kind, uid: before?.metadata.uid } };
}

/** deletecollection: each selected object deleted in turn (one gone meanwhile is skipped); the answer lists them as they stand. */
export async function deleteCollection(
  store: ObjectStore,
  classroomId: string,
  parsed: KubeRequest,
  selected: readonly KubeObject[],
  options: DeleteOptions,
  context: WriteContext,
  resourceVersion: string,
): Promise<{ code: number; body: object; message: string }> {
  const items: KubeObject[] = [];
  for (const object of selected) {
    const ref = { kind: parsed.resource.kind, name: object.metadata.name, namespace: object.metadata.namespace };
    try {
      items.push((await deleteObject(store, classroomId, ref, options, context)) ?? object);
    } catch (error) {
      if (!isApiError(error, 'NotFound')) throw error;
    }
  }
  return { code: 200, body: listOf(parsed.resource, items, resourceVersion), message: `deleted ${items.length}` };
}
