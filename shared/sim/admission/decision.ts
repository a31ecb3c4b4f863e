import type { KubeObject, ObjectMeta, StatusError } from '@shared/model';
import type { WatchEventType } from '../state';

/** What one verb's rule decides: the object to store (or the last state of a removed one), or a refusal. */
export type Decision = { ok: true; type: WatchEventType; object: KubeObject } | { ok: false; error: StatusError };

export const refuse = (error: StatusError): Decision => ({ ok: false, error });
export const write = (type: WatchEventType, object: KubeObject): Decision => ({ ok: true, type, object });

/** The object with other metadata; keys left undefined are dropped, so equal objects serialise alike. */
export function withMetadata(object: KubeObject, metadata: ObjectMeta): KubeObject {
  const clean = Object.fromEntries(Object.entries(metadata).filter(([, value]) => value !== undefined));
  return { ...object, metadata: clean } as KubeObject;
}

export function specOf(object: KubeObject): unknown {
  return 'spec' in object ? object.spec : undefined;
}
