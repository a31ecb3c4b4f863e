export { ObjectStore, DEFAULT_LOG_RETENTION, DEFAULT_REQUEST_LOG_RETENTION } from './object-store';
export type { ObjectStoreOptions, WriteContext, LoggedRequest, ObjectRef, ListOptions, ObjectList, DeleteOptions, Subresource } from './object-store';
export { ApiError, isApiError } from './api-error';
export { hasStatusSubresource } from '@shared/sim/admission';
export { storeKeys, type StoreKeys } from './keys';
export type { WatchListener } from './watch-hub';
export { appendRecordEntry, type NewRecordEntry } from './record';
export { decodeLogEntry, resourceVersionOfEntry } from './encoding';
export { LuaScript } from './scripts';
