/**
 * The API server's ClusterIP allocations, per classroom: a Redis hash `ip -> namespace/name`, the
 * bitmap Kubernetes keeps in etcd. A create reserves its address (HSETNX, so two creates racing
 * never share one) before the Service is committed, and gives it back if the commit fails; a
 * deleted Service's address is released. An address asked by name that is taken is Invalid, as in
 * Kubernetes; a random one that lost a race is drawn again. A dry run takes none.
 */
import { KUBERNETES_SERVICE_IP, internalError, type Service } from '@shared/model';
import { assignClusterIP, dryRunClusterIP } from '@shared/sim/admission';
import type { RedisClient } from '../redis/connect';
import { ApiError } from './api-error';

const ATTEMPTS = 20;

/** The Service as it will be created (its ClusterIP reserved), or an ApiError thrown. */
export async function reserveClusterIP(redis: RedisClient, key: string, field: string, service: Service): Promise<Service> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const allocated = new Set([KUBERNETES_SERVICE_IP, ...(await redis.hKeys(key))]);
    const decided = assignClusterIP(service, allocated, Math.random);
    if (!decided.ok) throw new ApiError(decided.error);
    const ip = decided.service.spec.clusterIP;
    if (ip === undefined || ip === 'None' || decided.service.spec.type === 'ExternalName') return decided.service;
    if (await redis.hSetNX(key, ip, field)) return decided.service;
  }
  throw new ApiError(internalError('failed to allocate a serviceIP: every address drawn was taken meanwhile'));
}

/** A dry run's Service with the ClusterIP it would show, nothing taken (dryRunClusterIP), or an ApiError thrown. */
export function dryRunClusterIPOf(service: Service): Service {
  const decided = dryRunClusterIP(service);
  if (!decided.ok) throw new ApiError(decided.error);
  return decided.service;
}

/** Gives the address back, if `field` still holds it. */
export async function releaseClusterIP(redis: RedisClient, key: string, field: string, service: Service): Promise<void> {
  const ip = service.spec.clusterIP;
  if (!ip || ip === 'None') return;
  if ((await redis.hGet(key, ip)) === field) await redis.hDel(key, ip);
}
