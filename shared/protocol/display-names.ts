/**
 * Names students join under. Two students a reader cannot tell apart ("Kim" and "kim ", "Zoë"
 * typed with a combining diaeresis) would share one row and one "Role of …" select on the
 * instructor's screen, so a classroom holds each name once, compared in the form below.
 */

/** A name as it is kept and shown: NFC, each run of whitespace one space, no space at either end. */
export function normalizeDisplayName(name: string): string {
  return name.normalize('NFC').replace(/\s+/gu, ' ').trim();
}

/**
 * The form names are compared in: one key for names that differ only in case, spacing, Unicode
 * composition or invisible format characters (a zero-width space, a soft hyphen: "Kim\u200b" reads as "Kim").
 */
export function displayNameKey(name: string): string {
  return normalizeDisplayName(name).replace(/\p{Cf}/gu, '').toLowerCase().normalize('NFC');
}

/** Why a join with a name another member of the classroom holds is refused (409 AlreadyExists). */
export function nameTakenMessage(name: string): string {
  return `the name "${normalizeDisplayName(name)}" is already taken in this classroom: choose another`;
}
