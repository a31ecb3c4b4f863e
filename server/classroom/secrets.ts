import { createHash, randomBytes, randomInt } from 'node:crypto';
import { JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH } from '@shared/protocol';

/** 256 random bits per token: far beyond guessing, and a leaked Redis dump holds only hashes. */
export const TOKEN_SECRET_BYTES = 32;

const classroomIdPattern = /^[0-9a-f]{16}$/;

export function newClassroomId(): string {
  return randomBytes(8).toString('hex');
}

export function newMemberId(): string {
  return randomBytes(8).toString('hex');
}

/**
 * `<classroomId>.<secret>`: the classroom part tells the server where to look the token up
 * without a global index; only the secret carries the randomness.
 */
export function newToken(classroomId: string): string {
  return `${classroomId}.${randomBytes(TOKEN_SECRET_BYTES).toString('base64url')}`;
}

export function classroomIdOfToken(token: string): string | null {
  const [classroomId, secret, ...rest] = token.split('.');
  if (rest.length || !classroomId || !secret || !classroomIdPattern.test(classroomId)) return null;
  return classroomId;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Uniform over the alphabet (randomInt rejects biased draws), so no code is likelier than another. */
export function newJoinCode(): string {
  let code = '';
  for (let i = 0; i < JOIN_CODE_LENGTH; i++) code += JOIN_CODE_ALPHABET[randomInt(JOIN_CODE_ALPHABET.length)];
  return code;
}
