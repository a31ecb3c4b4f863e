/**
 * `kubectl auth whoami`: a SelfSubjectReview (authentication.k8s.io/v1, GA since Kubernetes 1.28)
 * answered with the user the token authenticates: the member's name (the name every Forbidden
 * names), their member id as uid, their place in the classroom as groups, and the role they play
 * as an extra attribute. Nothing is stored; it comes back 201 Created, as the API server answers it.
 */
import { z } from 'zod';
import { badRequest } from '@shared/model';
import type { Identity } from '@shared/protocol';
import { ApiError } from '../store';
import { userOf } from './authorize';

/** What kubectl sends: the kind, and an empty status the server fills in. */
const ReviewSchema = z.object({
  apiVersion: z.literal('authentication.k8s.io/v1'),
  kind: z.literal('SelfSubjectReview'),
});

/** Every authenticated request's group, as Kubernetes adds it. */
const AUTHENTICATED = 'system:authenticated';
/** The attribute that names the role a student plays (their seat decides what they may write). */
export const ROLE_EXTRA = 'clusterplay.dev/role';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export function userInfoOf(identity: Identity): UserInfo {
  if (identity.kind === 'display') return { username: userOf(identity), groups: ['clusterplay:displays', AUTHENTICATED] };
  const base = { username: userOf(identity), uid: identity.memberId };
  if (identity.kind === 'instructor') return { ...base, groups: ['clusterplay:instructors', AUTHENTICATED] };
  return { ...base, groups: ['clusterplay:students', AUTHENTICATED], ...(identity.role ? { extra: { [ROLE_EXTRA]: [identity.role] } } : {}) };
}

/** The review, answered. A body that is not a SelfSubjectReview is a bad request. */
export function answerSelfReview(identity: Identity, body: unknown): object {
  const parsed = ReviewSchema.safeParse(body);
  if (!parsed.success) throw new ApiError(badRequest(`the request body is not a SelfSubjectReview: ${parsed.error.issues[0]?.message ?? ''}`));
  return { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, status: { userInfo: userInfoOf(identity) } };
}
