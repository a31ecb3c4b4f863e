/**
 * create, update, patch and delete, and the binding, scale and status subresources. Each write goes
 * through the ApiServer (`kube`, or `act` for a scheduler's binding: the same rulebook move as its
 * button), which logs it; the authorizer decides inside, so a refusal is logged too.
 */
import type { Request, Response } from 'express';
import { parse as parseYaml } from 'yaml';
import { badRequest, objectKey, type KubeObject } from '@shared/model';
import type { Identity } from '@shared/protocol';
import { ApiError, isApiError, type ObjectStore, type WriteContext } from '../store';
import { applyMergePatch, isPlainObject } from '../store/merge-patch';
import { denial, forbiddenStatus, type Attributes } from './authorize';
import { applyStrategicMergePatch } from './patch';
import { queryParam, type KubeRequest } from './request';
import { groupVersion } from './resources';
import type { KubeApiDeps } from './routes';
import { servedClockOf } from './served-time';
import { scaleOf } from './scale';
import { kubeStatus, sendStatus, serviceUnavailable, statusOf } from './status';
import { applyJsonPatch } from './json-patch';
import { deleteCollection, deleteObject, deleteOptionsOf, deletedBody, propagationPolicyErrors } from './deletes';
import { listObjects } from './reads';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { decodeProtobufObject } from './protobuf/decode';
import { warnIfClockStopped } from './stopped-clock';
import { dryRunErrors, invalidOptions, type NotSupported } from './write-options';

/** Request bodies are capped (a manifest of a few objects fits many times over; Kubernetes caps at 3 MiB). */
export const BODY_LIMIT_BYTES = 256 * 1024;
/** Tries of a read-patch-write that meets another writer in between (kubectl retries Conflicts the same way). */
const PATCH_TRIES = 5;

type Member = Extract<Identity, { memberId: string }>;

type BodyType = 'json' | 'merge' | 'strategic' | 'apply' | 'jsonpatch';

const MEDIA_TYPES: Record<string, BodyType | 'protobuf'> = {
  'application/json': 'json',
  'application/vnd.kubernetes.protobuf': 'protobuf',
  'application/json-patch+json': 'jsonpatch',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

/** The body by its Content-Type: JSON, Kubernetes protobuf (kubectl's typed clients), or YAML for server-side apply. */
export function bodyOf(req: Request): { type: BodyType; value: unknown } {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  if (raw.toString('utf8').trim() === '') throw new ApiError(badRequest('the request body is empty'));
  const kind = MEDIA_TYPES[type];
  if (!kind) throw new ApiError(kubeStatus(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.keys(MEDIA_TYPES).join(', ')}`));
  if (kind === 'protobuf') return { type: 'json', value: decodeProtobufObject(raw) };
  const text = raw.toString('utf8');
  try {
    return { type: kind, value: kind === 'apply' ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown) };
  } catch (error) {
    throw new ApiError(badRequest(`the request body is not valid ${kind === 'apply' ? 'YAML' : 'JSON'}: ${error instanceof Error ? error.message : String(error)}`));
  }
}

/** The object a create or update carries, checked against the path that names it. */
function objectOf(value: unknown, parsed: KubeRequest, nameFromPath: boolean): KubeObject {
  if (!isPlainObject(value) || !isPlainObject(value['metadata'])) throw new ApiError(badRequest('the request body must be an object with metadata'));
  const metadata = { ...value['metadata'] } as Record<string, unknown>;
  if (value['kind'] !== parsed.resource.kind || value['apiVersion'] !== groupVersion(parsed.resource.group)) {
    throw new ApiError(badRequest(`the API version in the data (${String(value['apiVersion'])}) does not match the expected API version (${groupVersion(parsed.resource.group)})`));
  }
  if (parsed.resource.namespaced) {
    const namespace = parsed.namespace ?? 'default';
    if (metadata['namespace'] !== undefined && metadata['namespace'] !== namespace) {
      throw new ApiError(badRequest('the namespace of the provided object does not match the namespace sent on the request'));
    }
    metadata['namespace'] = namespace;
  }
  if (nameFromPath && metadata['name'] !== parsed.name) throw new ApiError(badRequest('the name of the object does not match the name on the URL'));
  // Server-managed fields are the server's (managedFields is not modelled).
  delete metadata['managedFields'];
  return { ...value, metadata } as unknown as KubeObject;
}

async function current(store: ObjectStore, classroomId: string, parsed: KubeRequest): Promise<KubeObject | undefined> {
  try {
    return await store.get(classroomId, { kind: parsed.resource.kind, name: parsed.name ?? '', namespace: parsed.namespace });
  } catch (error) {
    if (isApiError(error, 'NotFound')) return undefined;
    throw error;
  }
}

/** Read, patch, write with the version read; another writer in between means reading again. */
async function patchWith(store: ObjectStore, classroomId: string, parsed: KubeRequest, context: WriteContext, patch: (o: KubeObject) => unknown, status: boolean): Promise<KubeObject> {
  for (let attempt = 1; ; attempt++) {
    const before = await store.get(classroomId, { kind: parsed.resource.kind, name: parsed.name ?? '', namespace: parsed.namespace });
    const after = patch(before);
    if (!isPlainObject(after) || after['kind'] !== before.kind || objectKey(after as unknown as KubeObject) !== objectKey(before)) {
      throw new ApiError(badRequest('a patch cannot change the kind, name or namespace of an object'));
    }
    const next = { ...after, metadata: { ...(after['metadata'] as object), resourceVersion: before.metadata.resourceVersion } };
    try {
      return status ? await store.updateStatus(classroomId, next, context) : await store.update(classroomId, next, context);
    } catch (error) {
      if (!isApiError(error, 'Conflict') || attempt >= PATCH_TRIES) throw error;
    }
  }
}

/** dryRun's values as the query carries them, or a delete's DeleteOptions body does (the handler reads the query only when there is no body). */
function dryRunOf(req: Request, parsed: KubeRequest, body: unknown): string[] {
  if ((parsed.verb === 'delete' || parsed.verb === 'deletecollection') && isPlainObject(body)) return Array.isArray(body['dryRun']) ? body['dryRun'].map(String) : [];
  const values = (req.query as Record<string, unknown>)['dryRun'];
  return values === undefined ? [] : (Array.isArray(values) ? values : [values]).map(String);
}

/** The handler's validation of the write's options, after the authorizer and before admission. */
function optionErrors(req: Request, parsed: KubeRequest, body: unknown, dryRun: readonly string[]): NotSupported[] {
  const deleting = parsed.verb === 'delete' || parsed.verb === 'deletecollection';
  return [...(deleting ? propagationPolicyErrors(body, req.query as Record<string, unknown>) : []), ...dryRunErrors(dryRun)];
}

const named = (parsed: KubeRequest, name: string): string => (name ? `${parsed.resource.plural}/${name}${parsed.subresource ? `/${parsed.subresource}` : ''}` : parsed.resource.plural);

export async function serveWrite(deps: KubeApiDeps, req: Request, res: Response, parsed: KubeRequest, identity: Identity): Promise<void> {
  if (identity.kind === 'display') return sendStatus(res, forbiddenStatus(identity, parsed, "the host screen's token only reads"));
  const store = deps.cluster.runtime.store;
  const { classroomId } = identity;
  const sent = (parsed.verb === 'delete' || parsed.verb === 'deletecollection') && (!Buffer.isBuffer(req.body) || req.body.length === 0) ? undefined : bodyOf(req);
  // Times in the body are on the clock kubectl was served: back onto the simulated one (served-time.ts).
  const body = sent && { ...sent, value: (await servedClockOf(deps, classroomId)).receive(sent.value) };
  // `kubectl … --dry-run=server`: decided as any write, answered with the object as it would be stored, nothing written (WriteContext.dryRun).
  const dryRunValues = dryRunOf(req, parsed, body?.value);
  const dryRun = dryRunValues.length > 0;
  const invalid = optionErrors(req, parsed, body?.value, dryRunValues);
  const name = parsed.name ?? (isPlainObject(body?.value) && isPlainObject(body.value['metadata']) ? String(body.value['metadata']['name'] ?? '') : '');
  const attrs: Attributes = { ...parsed, name };

  // A scheduler binds as its button does: the rulebook's bind move, with the pod's version.
  if (parsed.subresource === 'binding' && identity.kind === 'student' && identity.role === 'scheduler') {
    if (invalid.length > 0) return sendStatus(res, invalidOptions(parsed.verb, invalid));
    // The bind move is made or refused, never tried: the game's moves have no dry run.
    if (dryRun) return sendStatus(res, badRequest('the dryRun feature is disabled'));
    const node = isPlainObject(body?.value) && isPlainObject(body.value['target']) ? body.value['target']['name'] : undefined;
    // The executor refuses it while etcd is read-only; this read makes sure its copy of the round is current.
    await deps.cluster.rounds.readOnlyRefusalNow(classroomId);
    const pod = (await deps.cluster.runtime.state(classroomId)).pod(`${parsed.namespace ?? 'default'}/${name}`);
    const { reply } = await deps.cluster.api.act(identity, { kind: 'bind', pod: name, node, resourceVersion: pod?.metadata.resourceVersion ?? '0' }, { via: 'kubectl' });
    if (!reply.ok) return sendStatus(res, refusalStatus(reply.code, reply.message, parsed, name));
    await warnIfClockStopped(deps, res, classroomId);
    return void res.status(201).json({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  }

  const result = await deps.cluster.api
    .kube(identity as Member, parsed.verb, named(parsed, name), async (decided) => {
      const context = dryRun ? { ...decided, dryRun } : decided;
      const stored = (parsed.verb === 'create' && parsed.subresource === undefined) || parsed.verb === 'deletecollection' ? undefined : await current(store, classroomId, parsed);
      const denied = denial(identity, attrs, stored);
      // The authorizer sees the request's path: a create names no object (`deployments.apps is forbidden`).
      if (denied !== null) throw new ApiError(forbiddenStatus(identity, { ...attrs, name: parsed.name }, denied));
      if (invalid.length > 0) throw new ApiError(invalidOptions(parsed.verb, invalid));
      // etcd takes no writes (scenario 7's fault): after the authorizer, as the API server decides. A dry run writes nothing: it only reads.
      const readOnly = dryRun ? null : await deps.cluster.rounds.readOnlyRefusalNow(classroomId);
      if (readOnly) throw new ApiError(serviceUnavailable(readOnly.message));
      if (parsed.verb === 'deletecollection') {
        const query = req.query as Record<string, unknown>;
        const state = await deps.cluster.runtime.state(classroomId);
        const match = parseLabelSelector(queryParam(query, 'labelSelector'));
        const fields = parseFieldSelector(queryParam(query, 'fieldSelector'), parsed.resource.kind);
        const selected = listObjects(state, parsed.resource, parsed.namespace, (o) => match(o) && fields(o));
        return dryRunNoted(await deleteCollection(store, classroomId, parsed, selected, deleteOptionsOf(body?.value, query), context, state.resourceVersion), dryRun);
      }
      return dryRunNoted(await write(store, classroomId, parsed, attrs, context, body, stored, req), dryRun);
    })
    .catch((error: unknown) => ({ error }));
  if ('error' in result) return sendStatus(res, statusOf(result.error, deps.logger));
  // A dry run changes nothing that could wait for the clock.
  if (!dryRun) await warnIfClockStopped(deps, res, classroomId);
  res.status(result.code).json((await servedClockOf(deps, classroomId)).serve(result.body));
}

/** The request log tells a dry run from the change it did not make. */
const dryRunNoted = <T extends { message: string }>(written: T, dryRun: boolean): T => (dryRun ? { ...written, message: `${written.message} (dry run)` } : written);

function refusalStatus(code: string, message: string, parsed: KubeRequest, name: string): ApiError['status'] {
  if (code === 'Forbidden') return forbiddenStatus({ kind: 'display', classroomId: '', name: '' }, { ...parsed, name }, message);
  const http = { NotFound: 404, Conflict: 409, Invalid: 422, BadRequest: 400, ServiceUnavailable: 503, Unschedulable: 422 }[code] ?? 400;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: (http === 422 ? 'Invalid' : code) as ApiError['status']['reason'], code: http };
}

interface Written {
  code: number;
  body: object;
  message: string;
}

async function write(
  store: ObjectStore,
  classroomId: string,
  parsed: KubeRequest,
  attrs: Attributes,
  context: WriteContext,
  body: ReturnType<typeof bodyOf> | undefined,
  stored: KubeObject | undefined,
  req: Request,
): Promise<Written> {
  const ref = { kind: parsed.resource.kind, name: attrs.name ?? '', namespace: parsed.namespace };
  const value = body?.value;
  switch (parsed.verb) {
    case 'create': {
      if (parsed.subresource === 'binding') {
        const node = isPlainObject(value) && isPlainObject(value['target']) ? String(value['target']['name'] ?? '') : '';
        await store.apply(classroomId, { verb: 'bind', kind: 'Pod', name: ref.name, namespace: ref.namespace, node }, context);
        return { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }, message: `bound to ${node}` };
      }
      const created = await store.create(classroomId, objectOf(value, parsed, false), context);
      return { code: 201, body: created, message: 'created' };
    }
    case 'update': {
      if (parsed.subresource === 'scale') return scale(store, classroomId, parsed, context, value);
      const object = objectOf(value, parsed, true);
      const updated = parsed.subresource === 'status' ? await store.updateStatus(classroomId, object, context) : await store.update(classroomId, object, context);
      return { code: 200, body: updated, message: 'replaced' };
    }
    case 'patch': {
      if (parsed.subresource === 'scale') return scale(store, classroomId, parsed, context, value);
      const status = parsed.subresource === 'status';
      if (body?.type === 'apply') {
        if (!queryParam(req.query as Record<string, unknown>, 'fieldManager')) throw new ApiError(badRequest('PATCH requests with apply-patch content type require fieldManager'));
        if (!stored) return { code: 201, body: await store.create(classroomId, objectOf(value, parsed, true), context), message: 'created (server-side apply)' };
        const applied = objectOf(value, parsed, true);
        const updated = await patchWith(store, classroomId, parsed, context, (o) => applyStrategicMergePatch(o, applied), status);
        return { code: 200, body: updated, message: 'server-side applied' };
      }
      if (body?.type === 'jsonpatch') {
        const updated = await patchWith(store, classroomId, parsed, context, (o) => applyJsonPatch(o, value), status);
        return { code: 200, body: updated, message: 'patched (JSON patch)' };
      }
      if (body?.type === 'merge' || body?.type === 'json') {
        const updated = await store.patch(classroomId, ref, value, context, { subresource: status ? 'status' : 'main' });
        return { code: 200, body: updated, message: 'patched' };
      }
      const updated = await patchWith(store, classroomId, parsed, context, (o) => applyStrategicMergePatch(o, value), status);
      return { code: 200, body: updated, message: 'patched' };
    }
    case 'delete': {
      const after = await deleteObject(store, classroomId, ref, deleteOptionsOf(value, req.query as Record<string, unknown>), context);
      return { code: 200, body: deletedBody(parsed, ref.name, stored, after), message: after ? 'terminating' : 'deleted' };
    }
    default:
      throw new ApiError(kubeStatus(405, 'MethodNotAllowed', `${parsed.verb} is not supported`));
  }
}

async function scale(store: ObjectStore, classroomId: string, parsed: KubeRequest, context: WriteContext, value: unknown): Promise<Written> {
  const replicas = isPlainObject(value) && isPlainObject(value['spec']) ? value['spec']['replicas'] : undefined;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) throw new ApiError(badRequest('spec.replicas: Invalid value: must be a non-negative integer'));
  const updated = await patchWith(store, classroomId, parsed, context, (o) => applyMergePatch(o, { spec: { replicas } }), false);
  return { code: 200, body: scaleOf(updated), message: `scaled to ${replicas}` };
}

