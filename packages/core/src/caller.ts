/** Who is calling: one API key, scoped to one partner's practices, or the admin key (all). */
export interface Caller {
  apiKeyId: string;
  /** null for the admin key. */
  partnerId: string | null;
}

export function isAdmin(caller: Caller): boolean {
  return caller.partnerId === null;
}
