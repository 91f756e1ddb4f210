/**
 * "Is this slot offered?" — the one ordered list of rules. Availability (`GET …/slots`), the
 * booking accept, the diary and the diagnostics all read this list, so "why isn't this slot
 * offered?" agrees with `/slots` by construction.
 *
 * A rule is decided at one of two moments:
 * - `on_change` rules depend only on the practice's set-up (active slot types, the four
 *   mappings, the unregistered-patient slot type, the plugin) and the slot as synced; they are
 *   evaluated when a sync or a mapping changes, and their verdict is stored on the slot
 *   (offers.ts `refreshOffers`), so a read does not evaluate them again;
 * - `on_read` rules depend on the clock, our own bookings or the freshness of the last sync;
 *   they are evaluated when asked, over the same snapshot.
 * Each rule explains a failure with evidence and a fix in a practice manager's words.
 */
import type { CatalogueKind, StoredSlotStatus } from '../db/schema.ts';
import type { EhrCapabilities, SlotTypeMapping, SlotTypeMappingRow } from '../ehr-plugin.ts';
import { addLocalDays, instantToLocalIso } from '../time.ts';

/** The booking states that hold a slot (and any overlapping slot of the same practitioner). */
export const LIVE_BOOKING_STATES = ['pending', 'confirmed', 'needs_reconciliation', 'cancelling'] as const;

export interface Named {
  id: string;
  name: string;
}

/** A stored slot with what mapSlotType decided for it. */
export interface OfferCandidate {
  slotId: string;
  ehrSlotId: string;
  ehrPractitionerId: string | null;
  ehrLocationId: string | null;
  ehrSlotTypeId: string;
  startAt: Date;
  endAt: Date;
  status: StoredSlotStatus;
  ehrStatus: string;
  mapping: SlotTypeMapping;
}

/** The practice's set-up: what the `on_change` rules read. Changes with a mapping. */
export interface OfferSetup {
  practiceId: string;
  /** The practice's IANA time zone: the answer's times are written in it. */
  timeZone: string;
  ehrName: string;
  capabilities: EhrCapabilities;
  activeSlotTypeIds: ReadonlySet<string>;
  slotTypeMappings: readonly SlotTypeMappingRow[];
  /** The Unregistered Patient Booking slot type (seed 002): holds unmatched patients' time. */
  unregisteredSlotTypeId: string | null;
  /** Our practitioner mapped to each EHR practitioner id. */
  practitioners: ReadonlyMap<string, Named>;
  /** Our location mapped to each EHR site id. */
  locations: ReadonlyMap<string, Named>;
  /** The practice's appointment types by id. */
  appointmentTypes: ReadonlyMap<string, Named>;
}

/** One of our live bookings, as far as the rules need it. */
export interface LiveBooking {
  slotId: string | null;
  ehrPractitionerId: string | null;
  startAt: Date;
  endAt: Date;
}

/** What the `on_read` rules read: the clock, the horizon, freshness and our live bookings. */
export interface OfferMoment {
  now: Date;
  /** The practice's zone: the horizon is counted in its calendar days. */
  timeZone: string;
  horizonDays: number;
  lastGoodSyncAt: Date | null;
  /** When the next background read is due, if a scheduler owns the practice. */
  nextSyncDueBy: Date | null;
  staleAfterSeconds: number;
  /** Our live bookings over (at least) the slots being judged. */
  liveBookings: readonly LiveBooking[];
}

export interface OfferSnapshot {
  setup: OfferSetup;
  moment: OfferMoment;
}

/** What a question may narrow the rules to (the diagnostics' `appointmentTypeId`, /slots' filter). */
export interface OfferQuestion {
  appointmentTypeId?: string;
}

/** How explanations name things: the practice's own words for EHR ids and times. */
export interface RuleWords {
  ehrName: string;
  timeZone: string;
  nameOf(kind: CatalogueKind, ehrId: string | null): string;
  appointmentTypeName(id: string): string;
  question: OfferQuestion;
}

interface RuleText {
  id: string;
  /** The question the rule answers, e.g. "Is the practitioner mapped?" */
  title(words: RuleWords): string;
  /** The evidence when every slot considered passes. */
  pass(words: RuleWords): string;
  /** Evidence and fix for the failing slots (at least one), in a practice manager's words. */
  explain(
    failing: OfferCandidate[],
    snapshot: OfferSnapshot,
    words: RuleWords,
  ): { evidence: string; fix: string };
}

export interface ChangeRule extends RuleText {
  decided: 'on_change';
  passes(candidate: OfferCandidate, setup: OfferSetup, question?: OfferQuestion): boolean;
}

/** What the rules decided on read look at: the slot's id, times, practitioner and status. */
export type ReadCandidate = Pick<
  OfferCandidate,
  'slotId' | 'ehrPractitionerId' | 'startAt' | 'endAt' | 'status'
>;

export interface ReadRule extends RuleText {
  decided: 'on_read';
  passes(candidate: ReadCandidate, moment: OfferMoment): boolean;
}

export type OfferRule = ChangeRule | ReadRule;

/** The last horizon worked out: rules ask for it once per slot, with one moment. */
let lastHorizon: { now: number; days: number; zone: string; end: Date } | null = null;

/** The end of the publishing horizon seen from `moment.now`: the same local time, horizonDays calendar days on. */
export function horizonEnd(moment: Pick<OfferMoment, 'now' | 'horizonDays' | 'timeZone'>): Date {
  const now = moment.now.getTime();
  const last = lastHorizon;
  if (last && last.now === now && last.days === moment.horizonDays && last.zone === moment.timeZone)
    return last.end;
  const end = addLocalDays(moment.now, moment.horizonDays, moment.timeZone);
  lastHorizon = { now, days: moment.horizonDays, zone: moment.timeZone, end };
  return end;
}

/** Where an offered slot may start: [now, end of the horizon). Used by in_future and within_horizon. */
export function offerWindow(moment: Pick<OfferMoment, 'now' | 'horizonDays' | 'timeZone'>): {
  from: Date;
  to: Date;
} {
  return { from: moment.now, to: horizonEnd(moment) };
}

/** Is the practice's last good sync recent enough for anything to be offered? */
export function isFresh(moment: Pick<OfferMoment, 'now' | 'lastGoodSyncAt' | 'staleAfterSeconds'>): boolean {
  return (
    moment.lastGoodSyncAt !== null &&
    moment.lastGoodSyncAt.getTime() > moment.now.getTime() - moment.staleAfterSeconds * 1000
  );
}

/**
 * Does a live booking of ours hold the slot: the slot itself, or an overlapping slot of the same
 * practitioner (an EHR may offer one time as several slots, e.g. one per booking reason)?
 */
export function heldByBooking(
  slot: Pick<OfferCandidate, 'slotId' | 'ehrPractitionerId' | 'startAt' | 'endAt'>,
  bookings: readonly LiveBooking[],
): boolean {
  return bookings.some(
    (b) =>
      b.slotId === slot.slotId ||
      (b.ehrPractitionerId !== null &&
        b.ehrPractitionerId === slot.ehrPractitionerId &&
        b.startAt < slot.endAt &&
        b.endAt > slot.startAt),
  );
}

/** The appointment type a mapping offers the slot as, when it is one of the practice's. */
export function mappedAppointmentType(mapping: SlotTypeMapping, setup: OfferSetup): Named | null {
  const id = mapping.appointmentTypeId;
  if (id === null || id === 'disabled') return null;
  return setup.appointmentTypes.get(id) ?? null;
}

const typesOf = (failing: OfferCandidate[], words: RuleWords) =>
  [...new Set(failing.map((c) => c.ehrSlotTypeId))].map((id) => words.nameOf('slot_type', id)).join(', ');

export const OFFER_RULES: readonly OfferRule[] = [
  {
    id: 'slot_type_active',
    decided: 'on_change',
    title: () => 'Is the slot type active (synced)?',
    passes: (c, setup) => setup.activeSlotTypeIds.has(c.ehrSlotTypeId),
    pass: () => 'Their slot types are on the active list.',
    explain: (failing, _snapshot, words) => {
      const types = typesOf(failing, words);
      return {
        evidence: `${types} is not on the active list, so the sync ignores it.`,
        fix: `Add ${types} to the active slot types (PUT …/active-slot-types).`,
      };
    },
  },
  {
    id: 'slot_type_bookable',
    decided: 'on_change',
    title: () => 'Is the slot type Bookable?',
    passes: (c) => c.mapping.feature === 'bookable',
    pass: () => 'Their slot types are Bookable.',
    explain: (failing, { setup }, words) => {
      const types = typesOf(failing, words);
      const first = failing[0]!;
      if (
        first.mapping.feature === 'unregistered_patient' ||
        first.ehrSlotTypeId === setup.unregisteredSlotTypeId
      ) {
        return {
          evidence: `slot type ${types} is the Unregistered Patient Booking type: it holds the time of patients ${words.ehrName} could not match, and is never offered.`,
          fix: 'Nothing to fix: choose another slot type for patients to book.',
        };
      }
      const feature = first.mapping.feature;
      return {
        evidence: `slot type ${types} is ${feature === 'unmapped' ? 'not set up' : feature.replace('_', ' ')}.`,
        fix: `In the slot type features, set ${types} to Bookable if patients should book it.`,
      };
    },
  },
  {
    id: 'appointment_type_mapped',
    decided: 'on_change',
    title: (words) =>
      words.question.appointmentTypeId
        ? `Is the slot type mapped to ${words.appointmentTypeName(words.question.appointmentTypeId)}?`
        : 'Is the slot type mapped to an appointment type?',
    passes: (c, setup, question) => {
      const type = mappedAppointmentType(c.mapping, setup);
      return (
        type !== null && (question?.appointmentTypeId === undefined || type.id === question.appointmentTypeId)
      );
    },
    pass: () => 'Their slot types are mapped to the appointment type.',
    explain: (failing, { setup }, words) => {
      const types = typesOf(failing, words);
      const chosen = failing[0]!.mapping.appointmentTypeId;
      const asked = words.question.appointmentTypeId;
      return {
        evidence:
          chosen === 'disabled'
            ? `${types} is set to --DISABLED--.`
            : chosen === null
              ? `${types} has no appointment type.`
              : !setup.appointmentTypes.has(chosen)
                ? `${types} is mapped to an appointment type that no longer exists.`
                : `${types} is offered as ${words.appointmentTypeName(chosen)}, not ${words.appointmentTypeName(asked ?? chosen)}.`,
        fix: `In the slot type features, choose the appointment type for ${types}.`,
      };
    },
  },
  {
    id: 'practitioner_mapped',
    decided: 'on_change',
    title: () => 'Is the practitioner mapped?',
    passes: (c, setup) => c.ehrPractitionerId !== null && setup.practitioners.has(c.ehrPractitionerId),
    pass: () => 'Their practitioners are mapped.',
    explain: (failing, _snapshot, words) => {
      const names = [...new Set(failing.map((c) => words.nameOf('practitioner', c.ehrPractitionerId)))].join(
        ', ',
      );
      return {
        evidence: `${names} is not mapped to any of our practitioners.`,
        fix: `In the practitioner mapping, choose ${names} for the matching practitioner.`,
      };
    },
  },
  {
    id: 'location_mapped',
    decided: 'on_change',
    title: () => 'Is the location mapped?',
    passes: (c, setup) => c.ehrLocationId !== null && setup.locations.has(c.ehrLocationId),
    pass: () => 'Their sites are mapped.',
    explain: (failing, _snapshot, words) => {
      const names = [...new Set(failing.map((c) => words.nameOf('location', c.ehrLocationId)))].join(', ');
      return {
        evidence: `site ${names} is not mapped to any of our locations.`,
        fix: `In the location mapping, choose ${names} for the matching location.`,
      };
    },
  },
  {
    // On read: a write-back marks the slot booked or free again without a sync.
    id: 'slot_free',
    decided: 'on_read',
    title: (words) => `Is the slot free in ${words.ehrName}?`,
    passes: (c) => c.status === 'free',
    pass: (words) => `${words.ehrName} shows them free.`,
    explain: (failing, _snapshot, words) => ({
      evidence: `${words.ehrName} shows them ${[...new Set(failing.map((c) => c.ehrStatus))].join(', ')}.`,
      fix: `Nothing to fix if they are booked; free or unblock them in ${words.ehrName} if they should be offered.`,
    }),
  },
  {
    id: 'not_held_by_booking',
    decided: 'on_read',
    title: () => 'Is the slot free of our own bookings?',
    passes: (c, moment) => !heldByBooking(c, moment.liveBookings),
    pass: () => 'No booking of ours holds them.',
    explain: () => ({
      evidence: 'a booking made through slotbridge holds them.',
      fix: 'Nothing to fix: they are booked.',
    }),
  },
  {
    id: 'in_future',
    decided: 'on_read',
    title: () => 'Is the slot in the future?',
    passes: (c, moment) => c.startAt >= offerWindow(moment).from,
    pass: () => 'They are in the future.',
    explain: () => ({
      evidence: 'they have already started.',
      fix: 'Nothing to fix: past slots are never offered.',
    }),
  },
  {
    id: 'within_horizon',
    decided: 'on_read',
    title: () => 'Is the slot inside the publishing horizon?',
    passes: (c, moment) => c.startAt < offerWindow(moment).to,
    pass: () => 'They are inside the publishing horizon.',
    explain: (_failing, { moment }, words) => ({
      evidence: `they are after ${instantToLocalIso(horizonEnd(moment), words.timeZone)}, the end of the publishing horizon (${moment.horizonDays} days).`,
      fix: 'Lengthen the publishing horizon (PATCH /v1/practices/{practiceId} publishingHorizonDays), up to the plugin maximum.',
    }),
  },
  {
    id: 'sync_fresh',
    decided: 'on_read',
    title: () => 'Is the last good sync recent enough?',
    passes: (_c, moment) => isFresh(moment),
    pass: () => 'The last good sync is recent.',
    explain: (_failing, { moment }, words) => ({
      evidence: `the last good sync (${moment.lastGoodSyncAt ? instantToLocalIso(moment.lastGoodSyncAt, words.timeZone) : 'never'}) is older than ${Math.round(moment.staleAfterSeconds / 60)} minutes, so nothing is offered until the next one succeeds.`,
      fix: 'Fix the connection (see the connection check), then sync.',
    }),
  },
];

export const CHANGE_RULES = OFFER_RULES.filter((r): r is ChangeRule => r.decided === 'on_change');
export const READ_RULES = OFFER_RULES.filter((r): r is ReadRule => r.decided === 'on_read');

/** Does the rule pass for the candidate over the snapshot? */
export function rulePasses(
  rule: OfferRule,
  candidate: OfferCandidate,
  snapshot: OfferSnapshot,
  question?: OfferQuestion,
): boolean {
  return rule.decided === 'on_change'
    ? rule.passes(candidate, snapshot.setup, question)
    : rule.passes(candidate, snapshot.moment);
}

/** The first `on_change` rule the candidate fails (stored on the slot), or null. */
export function firstChangeRefusal(candidate: OfferCandidate, setup: OfferSetup): ChangeRule | null {
  return CHANGE_RULES.find((rule) => !rule.passes(candidate, setup)) ?? null;
}

/** The first `on_read` rule the candidate fails, or null. */
export function firstReadRefusal(candidate: ReadCandidate, moment: OfferMoment): ReadRule | null {
  return READ_RULES.find((rule) => !rule.passes(candidate, moment)) ?? null;
}

/** The rule with this id. */
export function offerRule(id: string): OfferRule {
  const rule = OFFER_RULES.find((r) => r.id === id);
  if (!rule) throw new Error(`No offer rule ${id}`);
  return rule;
}
