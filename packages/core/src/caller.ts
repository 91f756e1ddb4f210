/**
 * Who is calling: one API key. The admin key reaches every practice; a partner key that
 * partner's practices; a practice key one practice of its partner (its settings, slots and
 * bookings: no partner-level operation).
 */
export interface Caller {
  apiKeyId: string;
  /** null for the admin key. */
  partnerId: string | null;
  /** The one practice a practice key reaches; null for the admin key and partner keys. */
  practiceId: string | null;
}

export function isAdmin(caller: Caller): boolean {
  return caller.partnerId === null;
}

/** A practice key: it reaches one practice and may do nothing at the partner's level. */
export function isPracticeKey(caller: Caller): boolean {
  return caller.practiceId !== null;
}
