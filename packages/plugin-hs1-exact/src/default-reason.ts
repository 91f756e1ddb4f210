/**
 * The booking reason used where a default is needed (seed 003): a reason named "Healthengine",
 * else the practice's marketing reason, else the first reason of Web Setup.
 */
import type { BookingReason } from './exact-api.ts';

export type DefaultReasonRule = 'healthengine' | 'marketing' | 'first';

export interface DefaultReason {
  reason: BookingReason;
  rule: DefaultReasonRule;
}

/** Is the reason named "Healthengine" (any capitals, no spaces inside — the seed says to write it as shown)? */
function isHealthengineReason(reason: BookingReason): boolean {
  return reason.name.trim().toLowerCase() === 'healthengine';
}

export function defaultReasonOf(reasons: BookingReason[]): DefaultReason | null {
  const healthengine = reasons.find(isHealthengineReason);
  if (healthengine) return { reason: healthengine, rule: 'healthengine' };
  const marketing = reasons.find((reason) => reason.marketing);
  if (marketing) return { reason: marketing, rule: 'marketing' };
  const first = reasons[0];
  return first ? { reason: first, rule: 'first' } : null;
}

/** Why the reason is the default, in the practice's words. */
export function defaultReasonWhy(rule: DefaultReasonRule): string {
  switch (rule) {
    case 'healthengine':
      return 'it is named Healthengine';
    case 'marketing':
      return 'no reason is named Healthengine, so the marketing reason is used';
    case 'first':
      return 'no reason is named Healthengine and there is no marketing reason, so the first reason is used';
  }
}
