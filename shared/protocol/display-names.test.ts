import { describe, expect, it } from 'vitest';
import { displayNameKey, nameTakenMessage, normalizeDisplayName } from './display-names';
import { displayNameSchema } from './rest';

describe('display names: one classroom holds each name once, as a reader tells names apart', () => {
  it('names that differ only in case, spacing or Unicode composition share one key', () => {
    const kim = displayNameKey('Kim');
    for (const same of ['kim', 'KIM', ' Kim ', 'Kim\u00a0', '\u3000kIm']) expect(displayNameKey(same), JSON.stringify(same)).toBe(kim);
    expect(displayNameKey('Kim  Lee')).toBe(displayNameKey('kim lee'));
    // "Zoë" precomposed (U+00EB) and as e + combining diaeresis (U+0308).
    expect(displayNameKey('Zo\u00eb')).toBe(displayNameKey('Zoe\u0308'));
    expect(displayNameKey('ZO\u00cb')).toBe(displayNameKey('zoe\u0308'));
  });

  it('invisible format characters do not make a name another: "Kim" with a zero-width space, a word joiner or a soft hyphen is "Kim"', () => {
    for (const same of ['Kim\u200b', 'K\u2060im', 'Ki\u00adm', '\ufeffKim']) expect(displayNameKey(same), JSON.stringify(same)).toBe(displayNameKey('Kim'));
  });

  it('a name of control characters (C0 or C1) or of invisible characters alone is refused', () => {
    for (const bad of ['Kim\u0085', 'Kim\u009b', 'K\u0007im']) expect(displayNameSchema.safeParse(bad).error?.issues[0]?.message, JSON.stringify(bad)).toBe('a name cannot contain control characters or < >');
    expect(displayNameSchema.safeParse('\u200b\u200b').error?.issues[0]?.message).toBe('enter a name');
    expect(displayNameSchema.safeParse('a'.repeat(41)).error?.issues[0]?.message).toBe('a name has at most 40 characters');
    expect(displayNameSchema.parse('a'.repeat(40))).toBe('a'.repeat(40));
  });

  it('different names keep different keys', () => {
    expect(displayNameKey('Kim')).not.toBe(displayNameKey('Kim L'));
    expect(displayNameKey('Zoe')).not.toBe(displayNameKey('Zoë'));
    expect(displayNameKey('KimLee')).not.toBe(displayNameKey('Kim Lee'));
  });

  it('a joined name is kept in NFC with single spaces, as the roster shows it', () => {
    expect(normalizeDisplayName(' Kim \t Lee ')).toBe('Kim Lee');
    expect(displayNameSchema.parse('  Zoe\u0308   Ng ')).toBe('Zo\u00eb Ng');
  });

  it('the refusal names the name as it would be shown', () => {
    expect(nameTakenMessage(' Kim ')).toBe('the name "Kim" is already taken in this classroom: choose another');
  });
});
