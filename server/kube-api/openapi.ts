/**
 * The OpenAPI v3 documents kubectl 1.32 reads before `apply` and `create`: the root (one entry per
 * group version) and, per group version, the paths of each resource with the query parameters the
 * server accepts. kubectl looks for `fieldValidation` on the PATCH operation of the kind it sends: found,
 * it leaves validation to the server (which validates every object) instead of downloading the v2
 * schema. The documents carry no object schemas, so `kubectl explain` answers that it finds none.
 */
import { Router } from 'express';
import { SERVED, type ServedResource } from './resources';
import { notFoundPath, sendStatus } from './status';

/** Bumped when the documents change: kubectl caches them by this hash. */
const HASH = 'clusterplay-1';

const docPath = (group: string): string => (group === '' ? 'api/v1' : `apis/${group}/v1`);

const param = (name: string) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });
const WRITE_PARAMS = [param('dryRun'), param('fieldManager'), param('fieldValidation')];

function operations(r: ServedResource, verbs: string[]): Record<string, object> {
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const op = (write: boolean) => ({ 'x-kubernetes-group-version-kind': gvk, parameters: write ? WRITE_PARAMS : [], responses: { '200': { description: 'OK' } } });
  return Object.fromEntries(verbs.map((verb) => [verb, op(verb !== 'get' && verb !== 'delete')]));
}

function groupDocument(group: string): object {
  const paths: Record<string, object> = {};
  for (const r of SERVED.filter((s) => s.group === group)) {
    const base = `/${docPath(group)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
    paths[base] = operations(r, ['get', 'post']);
    paths[`${base}/{name}`] = operations(r, ['get', 'put', 'patch', 'delete']);
  }
  return { openapi: '3.0.0', info: { title: 'ClusterPlay', version: 'v1.32.0' }, paths, components: { schemas: {} } };
}

export function openApiRoutes(): Router {
  const router = Router();
  router.get('/v3', (_req, res) => {
    const groups = [...new Set(SERVED.map((r) => r.group))];
    res.json({ paths: Object.fromEntries(groups.map((g) => [docPath(g), { serverRelativeURL: `/openapi/v3/${docPath(g)}?hash=${HASH}` }])) });
  });
  router.get(['/v3/api/v1', '/v3/apis/:group/v1'], (req, res) => {
    const group = String(req.params['group'] ?? '');
    if (!SERVED.some((r) => r.group === group)) return sendStatus(res, notFoundPath(req.path));
    res.json(groupDocument(group));
  });
  // The v2 document is not served: kubectl needs it only where v3 is missing.
  router.use((req, res) => sendStatus(res, notFoundPath(req.path)));
  return router;
}

