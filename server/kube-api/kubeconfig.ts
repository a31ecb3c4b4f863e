/**
 * `GET /api/classrooms/:id/kubeconfig` with the member's token as a bearer token: a kubeconfig
 * whose server URL carries that token in its path (see routes.ts for why), with one cluster, user
 * and context named after the classroom.
 */
import { Router, type Request } from 'express';
import { stringify } from 'yaml';
import type { ClassroomRepository } from '../classroom/repository';
import { RefusalError } from '../classroom/refusal-error';
import { classroomIdOfToken } from '../classroom/secrets';
import { K8S_PREFIX } from './redact';

/** `Period 3` -> `period-3`: a context name that is easy to type in `kubectl --context`. */
export function contextNameOf(title: string, code: string): string {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50);
  return slug || `classroom-${code.toLowerCase()}`;
}

export function kubeconfigYaml(server: string, context: string, user: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // No TLS to verify over http; @kubernetes/client-node refuses an http:// server unless this is set (kubectl ignores it).
    clusters: [{ name: context, cluster: { 'insecure-skip-tls-verify': server.startsWith('http:'), server } }],
    users: [{ name: user, user: {} }],
    contexts: [{ name: context, context: { cluster: context, user, namespace: 'default' } }],
    'current-context': context,
    preferences: {},
  });
}

const bearer = (req: Request): string | undefined => /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];

export function kubeconfigRoutes(classrooms: ClassroomRepository): Router {
  const router = Router();
  router.get('/api/classrooms/:id/kubeconfig', async (req, res) => {
    const token = bearer(req);
    if (!token) throw new RefusalError('Unauthorized', 'send your token: Authorization: Bearer <the token the join request returned>');
    const identity = await classrooms.authenticate(token);
    if (!identity) throw new RefusalError('Unauthorized', 'unknown or revoked token; join the classroom again with its code');
    // A student of a class split into groups plays in their group: the token the class issued still
    // asks the class's URL, and the kubeconfig it gets reaches the group's cluster (the server URL
    // carries the token, which the API resolves to wherever its holder plays now, even after a regroup).
    if (identity.classroomId !== req.params.id && classroomIdOfToken(token) !== req.params.id) throw new RefusalError('Forbidden', 'this token belongs to another classroom');
    const view = await classrooms.view(identity.classroomId);
    if (!view) throw new RefusalError('NotFound', `classroom ${req.params.id} not found`);
    const server = `${req.protocol}://${req.get('host') ?? 'localhost'}${K8S_PREFIX}/${token}`;
    const user = `${identity.name}@${contextNameOf(view.title, view.code)}`;
    res.type('application/yaml').setHeader('Content-Disposition', 'attachment; filename="clusterplay.kubeconfig"');
    res.setHeader('Cache-Control', 'no-store');
    res.send(kubeconfigYaml(server, contextNameOf(view.title, view.code), user));
  });
  return router;
}
