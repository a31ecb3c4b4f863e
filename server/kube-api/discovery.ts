/**
 * Discovery, as kubectl 1.32 reads it: the legacy documents (/api, /api/v1, /apis, /apis/<group>/v1)
 * and the aggregated ones (apidiscovery.k8s.io/v2) it asks for first, so short names (`po`, `deploy`)
 * and categories (`all`) resolve. Built from the resources table only.
 */
import { GROUPS, groupVersion, resourcesOfGroup, type DiscoveredResource } from './resources';

/** The content type of an aggregated discovery answer; client-go compares it to decide how to parse. */
export const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** Whether the Accept header asks for the aggregated v2 document (kubectl lists it first). */
export function wantsAggregated(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => {
    const params = new Map(part.split(';').slice(1).map((p) => p.trim().split('=') as [string, string]));
    return params.get('g') === 'apidiscovery.k8s.io' && params.get('v') === 'v2' && params.get('as') === 'APIGroupDiscoveryList';
  });
}

const SUBRESOURCE_KIND: Record<string, { group: string; version: string; kind: string } | null> = {
  binding: { group: '', version: 'v1', kind: 'Binding' },
  scale: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
  status: null, // the resource's own kind
};
const SUBRESOURCE_VERBS: Record<string, string[]> = { binding: ['create'], finalize: ['update'], scale: ['get', 'patch', 'update'], status: ['get', 'patch', 'update'] };

function subresourceKind(resource: DiscoveredResource, sub: string): { group: string; version: string; kind: string } {
  return SUBRESOURCE_KIND[sub] ?? { group: resource.group, version: resource.version, kind: resource.kind };
}

export function apiVersions(): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }] };
}

export function apiGroupList(): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: GROUPS.map((name) => {
      const version = { groupVersion: groupVersion(name), version: 'v1' };
      return { name, versions: [version], preferredVersion: version };
    }),
  };
}

/** /api/v1 or /apis/<group>/v1; undefined for a group this server does not serve. */
export function apiResourceList(group: string): object | undefined {
  const resources = resourcesOfGroup(group);
  if (!resources.length) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion(group),
    resources: resources.flatMap((r) => [
      {
        name: r.plural,
        singularName: r.singular,
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: r.verbs,
        ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
        ...(r.categories.length ? { categories: r.categories } : {}),
      },
      ...r.subresources.map((sub) => {
        const k = subresourceKind(r, sub);
        return {
          name: `${r.plural}/${sub}`,
          singularName: r.singular,
          namespaced: r.namespaced,
          ...(k.group !== r.group ? { group: k.group, version: k.version } : {}),
          kind: k.kind,
          verbs: SUBRESOURCE_VERBS[sub] ?? [],
        };
      }),
    ]),
  };
}

function discoveryResource(r: DiscoveredResource): object {
  return {
    resource: r.plural,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
    ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
    ...(r.categories.length ? { categories: r.categories } : {}),
    ...(r.subresources.length
      ? { subresources: r.subresources.map((sub) => ({ subresource: sub, responseKind: subresourceKind(r, sub), verbs: SUBRESOURCE_VERBS[sub] ?? [] })) }
      : {}),
  };
}

function groupDiscovery(group: string): object {
  return {
    metadata: group === '' ? { creationTimestamp: null } : { name: group, creationTimestamp: null },
    versions: [{ version: 'v1', resources: resourcesOfGroup(group).map(discoveryResource), freshness: 'Current' }],
  };
}

/** The aggregated document of /api (the core group) or /apis (every other group). */
export function aggregatedDiscovery(legacy: boolean): object {
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: legacy ? [groupDiscovery('')] : GROUPS.map(groupDiscovery),
  };
}

