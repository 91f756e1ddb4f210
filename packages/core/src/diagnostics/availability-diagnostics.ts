/**
 * "Why isn't this slot offered?" Seed 001's four questions in order — is the session built in
 * the EHR diary that day, is the slot type active, could the change be newer than the last
 * sync, is the connection healthy — then every availability rule, then the plugin's own checks.
 * Every check is answered (pass, fail or not applicable) with its evidence and, when it fails,
 * the fix in a practice manager's words. All failing checks are reported, not just the first.
 */
import { DateTime } from 'luxon';
import { LIVE_BOOKING_STATES } from '../availability.ts';
import type { Connections } from '../connections.ts';
import type { Db } from '../db/database.ts';
import type { Practice, Slot } from '../db/schema.ts';
import type { DiagnosticCheck, EhrContext, EhrSlot, EhrSlotRef, SlotTypeMapping } from '../ehr-plugin.ts';
import type { EhrRegistry } from '../ehr-registry.ts';
import { CoreErrorCode, InputError, SlotbridgeError } from '../errors.ts';
import type { Practices } from '../practices.ts';
import { addDays, instantToLocalIso, localToInstant } from '../time.ts';

export interface AvailabilityQuestion {
  /** Local date at the practice, YYYY-MM-DD. */
  date: string;
  ehrSlotTypeId?: string;
  ehrPractitionerId?: string;
  appointmentTypeId?: string;
  /** One of our slot ids. */
  slotId?: string;
}

export interface AvailabilityDiagnosis {
  date: string;
  timeZone: string;
  /** Stored slots of that date matching the question. */
  slotsConsidered: number;
  /** Of those, how many are offered now. */
  slotsOffered: number;
  checks: DiagnosticCheck[];
  /** The failing checks' titles, in order; empty when everything passes. */
  failing: string[];
}

export interface DiagnosticsOptions {
  staleAfterSeconds: number;
  syncIntervalSeconds: number;
  now: () => Date;
}

const EXAMPLES = 3;

interface Candidate {
  slot: Slot;
  mapping: SlotTypeMapping;
  heldByBooking: boolean;
}

/** One availability rule: the test a stored slot must pass to be offered, and its words. */
interface Rule {
  id: string;
  title: string;
  fails: (candidate: Candidate) => boolean;
  pass: string;
  explain: (failing: Candidate[]) => { evidence: string; fix: string };
}

export class AvailabilityDiagnostics {
  constructor(
    private readonly db: Db,
    private readonly ehr: EhrRegistry,
    private readonly practices: Practices,
    private readonly connections: Connections,
    private readonly options: DiagnosticsOptions,
  ) {}

  async diagnose(practice: Practice, question: AvailabilityQuestion): Promise<AvailabilityDiagnosis> {
    const zone = practice.time_zone;
    const day = DateTime.fromISO(question.date, { zone });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(question.date) || !day.isValid) {
      throw new InputError(
        CoreErrorCode.WINDOW_INVALID,
        `"date" must be a date, YYYY-MM-DD; got "${question.date}"`,
        {
          fix: 'Ask about one day, e.g. ?date=2026-11-24.',
        },
      );
    }
    const from = localToInstant(question.date, '00:00', zone);
    const to = day.plus({ days: 1 }).toJSDate();
    const now = this.options.now();
    const plugin = this.ehr.get(practice.ehr);
    const ehrName = plugin.name;

    const connection = await this.db
      .selectFrom('connections')
      .selectAll()
      .where('practice_id', '=', practice.id)
      .executeTakeFirst();
    const [active, catalogue, slotTypeMappings, practitionerMaps, locationMaps, appointmentTypes] =
      await Promise.all([
        this.db
          .selectFrom('active_slot_types')
          .select('ehr_slot_type_id')
          .where('practice_id', '=', practice.id)
          .execute(),
        this.db
          .selectFrom('ehr_catalogue')
          .select(['kind', 'ehr_id', 'name', 'gone_at'])
          .where('practice_id', '=', practice.id)
          .execute(),
        this.db.selectFrom('slot_type_mappings').selectAll().where('practice_id', '=', practice.id).execute(),
        this.db
          .selectFrom('practitioner_mappings')
          .selectAll()
          .where('practice_id', '=', practice.id)
          .execute(),
        this.db.selectFrom('location_mappings').selectAll().where('practice_id', '=', practice.id).execute(),
        this.db
          .selectFrom('appointment_types')
          .select(['id', 'name'])
          .where('practice_id', '=', practice.id)
          .execute(),
      ]);
    const activeIds = new Set(active.map((a) => a.ehr_slot_type_id));
    const nameOf = (kind: string, ehrId: string | null) =>
      ehrId === null
        ? '(none)'
        : (catalogue.find((c) => c.kind === kind && c.ehr_id === ehrId)?.name ?? ehrId);
    const typeName = (ehrId: string) => nameOf('slot_type', ehrId);
    const localTime = (instant: Date) => DateTime.fromJSDate(instant, { zone }).toFormat('HH:mm');

    // The slot asked about, if any, narrows the question to its type and practitioner.
    let askedSlot: Slot | undefined;
    if (question.slotId) {
      askedSlot = await this.db
        .selectFrom('slots')
        .selectAll()
        .where('practice_id', '=', practice.id)
        .where('id', '=', question.slotId)
        .executeTakeFirst();
    }
    const slotTypeId = question.ehrSlotTypeId ?? askedSlot?.ehr_slot_type_id;
    const practitionerId = question.ehrPractitionerId ?? askedSlot?.ehr_practitioner_id ?? undefined;
    const matches = (s: { ehrSlotTypeId: string; ehrPractitionerId: string | null; ehrSlotId: string }) =>
      (!slotTypeId || s.ehrSlotTypeId === slotTypeId) &&
      (!practitionerId || s.ehrPractitionerId === practitionerId) &&
      (!askedSlot || s.ehrSlotId === askedSlot.ehr_slot_id);

    const checks: DiagnosticCheck[] = [];
    let ctx: EhrContext | null = null;
    if (connection) ctx = await this.connections.context(practice);

    // 1. Is the session built in the EHR diary on that date? Asked of the EHR itself, now.
    let live: EhrSlot[] | null = null;
    let liveError: string | null = null;
    if (ctx) {
      const typesToRead = slotTypeId
        ? [slotTypeId]
        : [
            ...new Set([
              ...catalogue.filter((c) => c.kind === 'slot_type' && c.gone_at === null).map((c) => c.ehr_id),
              ...activeIds,
            ]),
          ];
      try {
        live = (
          await this.ehr.fetchSlots(practice.ehr, ctx, { from, to, slotTypeIds: typesToRead })
        ).slots.filter((s) => s.startAt >= from && s.startAt < to && matches(s));
      } catch (error) {
        liveError = error instanceof SlotbridgeError ? `${error.code}: ${error.message}` : String(error);
      }
    }
    const whose = [
      practitionerId ? `for ${nameOf('practitioner', practitionerId)}` : '',
      slotTypeId ? `of slot type ${typeName(slotTypeId)}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    if (!ctx) {
      checks.push({
        id: 'ehr_session_exists',
        title: `Is the session built in the ${ehrName} diary on ${question.date}?`,
        status: 'fail',
        evidence: `The practice has no ${ehrName} connection, so its diary cannot be read.`,
        fix: `Enter the ${ehrName} credentials (PUT /v1/practices/{practiceId}/connection).`,
      });
    } else if (live === null) {
      checks.push({
        id: 'ehr_session_exists',
        title: `Is the session built in the ${ehrName} diary on ${question.date}?`,
        status: 'fail',
        evidence: `${ehrName} could not be read just now (${liveError}).`,
        fix: 'See the connection check below; try again once the connection is healthy.',
      });
    } else if (live.length === 0) {
      checks.push({
        id: 'ehr_session_exists',
        title: `Is the session built in the ${ehrName} diary on ${question.date}?`,
        status: 'fail',
        evidence: `${ehrName} has no slots on ${question.date}${whose ? ` ${whose}` : ''}${askedSlot ? ` matching slot ${askedSlot.ehr_slot_id}` : ''}.`,
        fix: `Build the session in the ${ehrName} appointment book for ${question.date}${whose ? ` ${whose}` : ''}.`,
      });
    } else {
      const byType = new Map<string, number>();
      for (const s of live) byType.set(s.ehrSlotTypeId, (byType.get(s.ehrSlotTypeId) ?? 0) + 1);
      checks.push({
        id: 'ehr_session_exists',
        title: `Is the session built in the ${ehrName} diary on ${question.date}?`,
        status: 'pass',
        evidence: `${ehrName} has ${live.length} slot(s) that day${whose ? ` ${whose}` : ''}: ${[...byType]
          .map(([id, n]) => `${typeName(id)} ${n}`)
          .join(', ')}.`,
      });
    }

    // 2. Is the slot type active?
    if (slotTypeId) {
      const ok = activeIds.has(slotTypeId);
      checks.push({
        id: 'slot_type_active',
        title: 'Is the slot type active (synced)?',
        status: ok ? 'pass' : 'fail',
        evidence: ok
          ? `${typeName(slotTypeId)} is on the active list.`
          : `${typeName(slotTypeId)} is not on the active list, so the sync ignores it.`,
        ...(!ok && {
          fix: `Add ${typeName(slotTypeId)} to the active slot types (PUT …/active-slot-types).`,
        }),
      });
    } else if (live && live.length > 0) {
      const inactive = [...new Set(live.map((s) => s.ehrSlotTypeId))].filter((id) => !activeIds.has(id));
      const anyActive = live.some((s) => activeIds.has(s.ehrSlotTypeId));
      checks.push({
        id: 'slot_type_active',
        title: 'Is the slot type active (synced)?',
        status: anyActive ? 'pass' : 'fail',
        evidence:
          inactive.length === 0
            ? 'Every slot type in that day’s diary is on the active list.'
            : `Not on the active list (ignored by the sync): ${inactive.map(typeName).join(', ')}.`,
        ...(!anyActive && { fix: 'Add the slot types patients should book to the active slot types.' }),
      });
    } else {
      checks.push({
        id: 'slot_type_active',
        title: 'Is the slot type active (synced)?',
        status: 'not_applicable',
        evidence:
          activeIds.size === 0 ? 'No slot type is active at all.' : 'No slot in the EHR diary to check.',
        ...(activeIds.size === 0 && { fix: 'Choose the active slot types (PUT …/active-slot-types).' }),
      });
    }

    const stored = await this.db
      .selectFrom('slots')
      .selectAll()
      .where('practice_id', '=', practice.id)
      .where('start_at', '>=', from)
      .where('start_at', '<', to)
      .orderBy('start_at')
      .execute();
    const storedMatching = stored.filter((s) =>
      matches({
        ehrSlotTypeId: s.ehr_slot_type_id,
        ehrPractitionerId: s.ehr_practitioner_id,
        ehrSlotId: s.ehr_slot_id,
      }),
    );

    // 3. Could the change be newer than the last sync?
    const lastSync = connection?.last_sync_at ?? null;
    const nextDue = lastSync
      ? new Date(
          lastSync.getTime() +
            Math.max(this.options.syncIntervalSeconds, plugin.capabilities.minPollIntervalSeconds) * 1000,
        )
      : null;
    const syncWords = lastSync
      ? `The last sync finished at ${instantToLocalIso(lastSync, zone)}; the next is due by ${instantToLocalIso(nextDue!, zone)}.`
      : 'The practice has never been synced.';
    if (live === null) {
      checks.push({
        id: 'sync_recency',
        title: 'Was the change made after the last sync?',
        status: lastSync ? 'not_applicable' : 'fail',
        evidence: `${syncWords} The EHR could not be read to compare.`,
        ...(!lastSync && { fix: 'Run a sync (POST …/sync) once the connection is healthy.' }),
      });
    } else {
      const liveActive = live.filter((s) => activeIds.has(s.ehrSlotTypeId));
      const storedById = new Map(storedMatching.map((s) => [s.ehr_slot_id, s]));
      const newer = liveActive.filter((s) => {
        const row = storedById.get(s.ehrSlotId);
        return !row || row.status !== s.status || row.start_at.getTime() !== s.startAt.getTime();
      });
      const liveIds = new Set(liveActive.map((s) => s.ehrSlotId));
      const removed = storedMatching.filter(
        (s) => activeIds.has(s.ehr_slot_type_id) && !liveIds.has(s.ehr_slot_id),
      );
      const differs = newer.length + removed.length;
      checks.push({
        id: 'sync_recency',
        title: 'Was the change made after the last sync?',
        status: differs > 0 || !lastSync ? 'fail' : 'pass',
        evidence:
          differs > 0
            ? `${differs} slot(s) in ${ehrName} differ from what was last synced (e.g. ${[...newer.map((s) => localTime(s.startAt)), ...removed.map((s) => localTime(s.start_at))].slice(0, EXAMPLES).join(', ')}). ${syncWords}`
            : `What ${ehrName} shows matches the last sync. ${syncWords}`,
        ...((differs > 0 || !lastSync) && {
          fix: 'Give the sync a little longer, or run one now (POST /v1/practices/{practiceId}/sync).',
        }),
      });
    }

    // 4. Is the EHR connection healthy?
    const staleSince = new Date(now.getTime() - this.options.staleAfterSeconds * 1000);
    const fresh = connection?.last_good_sync_at ? connection.last_good_sync_at > staleSince : false;
    if (!connection) {
      checks.push({
        id: 'connection_healthy',
        title: `Is the ${ehrName} connection healthy?`,
        status: 'fail',
        evidence: 'There is no connection.',
        fix: `Enter the ${ehrName} credentials (PUT /v1/practices/{practiceId}/connection).`,
      });
    } else {
      const healthy = connection.status === 'healthy' && connection.last_sync_error === null && live !== null;
      checks.push({
        id: 'connection_healthy',
        title: `Is the ${ehrName} connection healthy?`,
        status: healthy ? 'pass' : 'fail',
        evidence: healthy
          ? `Set-up checks passed; the last sync succeeded.`
          : [
              connection.status !== 'healthy' ? `The set-up checks are ${connection.status}.` : '',
              connection.last_sync_error ? `The last sync failed: ${connection.last_sync_error}.` : '',
              liveError ? `Reading ${ehrName} now failed: ${liveError}.` : '',
            ]
              .filter(Boolean)
              .join(' '),
        ...(!healthy && {
          fix: 'Open the connection (GET …/connection): its set-up checks say what to fix in the EHR; then save it again.',
        }),
      });
    }

    // The availability rules, over the stored slots of that day that match the question.
    const mappingRows = slotTypeMappings.map((m) => ({
      ehrSlotTypeId: m.ehr_slot_type_id,
      feature: m.feature,
      appointmentTypeId: m.disabled ? ('disabled' as const) : m.appointment_type_id,
    }));
    const liveBookings = await this.db
      .selectFrom('bookings')
      .select(['slot_id', 'ehr_practitioner_id', 'start_at', 'end_at'])
      .where('practice_id', '=', practice.id)
      .where('state', 'in', LIVE_BOOKING_STATES)
      .where('start_at', '<', to)
      .where('end_at', '>', from)
      .execute();
    const heldByBooking = (slot: Slot) =>
      liveBookings.some(
        (b) =>
          b.slot_id === slot.id ||
          (b.ehr_practitioner_id !== null &&
            b.ehr_practitioner_id === slot.ehr_practitioner_id &&
            b.start_at < slot.end_at &&
            b.end_at > slot.start_at),
      );
    const candidates: Candidate[] = [];
    for (const slot of storedMatching) {
      const mapping = ctx
        ? await this.ehr.mapSlotType(practice.ehr, ctx, {
            slot: slotRef(slot),
            slotTypeMappings: mappingRows,
          })
        : { feature: 'unmapped' as const, appointmentTypeId: null };
      candidates.push({ slot, mapping, heldByBooking: heldByBooking(slot) });
    }
    const horizonEnd = addDays(now, await this.practices.horizonDays(practice));
    const mappedPractitioners = new Set(practitionerMaps.map((m) => m.ehr_practitioner_id).filter(Boolean));
    const mappedLocations = new Set(locationMaps.map((m) => m.ehr_location_id).filter(Boolean));
    const appointmentTypeName = (id: string) => appointmentTypes.find((t) => t.id === id)?.name ?? id;

    const rules: Rule[] = [
      {
        id: 'slot_type_bookable',
        title: 'Is the slot type Bookable?',
        fails: (c) => c.mapping.feature !== 'bookable',
        pass: 'Their slot types are Bookable.',
        explain: (failing) => {
          const types = [...new Set(failing.map((c) => c.slot.ehr_slot_type_id))].map(typeName).join(', ');
          const feature = failing[0]!.mapping.feature;
          return {
            evidence: `slot type ${types} is ${feature === 'unmapped' ? 'not set up' : feature.replace('_', ' ')}.`,
            fix: `In the slot type features, set ${types} to Bookable if patients should book it.`,
          };
        },
      },
      {
        id: 'appointment_type_mapped',
        title: question.appointmentTypeId
          ? `Is the slot type mapped to ${appointmentTypeName(question.appointmentTypeId)}?`
          : 'Is the slot type mapped to an appointment type?',
        fails: (c) =>
          c.mapping.appointmentTypeId === null ||
          c.mapping.appointmentTypeId === 'disabled' ||
          (question.appointmentTypeId !== undefined &&
            c.mapping.appointmentTypeId !== question.appointmentTypeId),
        pass: 'Their slot types are mapped to the appointment type.',
        explain: (failing) => {
          const types = [...new Set(failing.map((c) => c.slot.ehr_slot_type_id))].map(typeName).join(', ');
          const chosen = failing[0]!.mapping.appointmentTypeId;
          return {
            evidence:
              chosen === 'disabled'
                ? `${types} is set to --DISABLED--.`
                : chosen === null
                  ? `${types} has no appointment type.`
                  : `${types} is offered as ${appointmentTypeName(chosen)}, not ${appointmentTypeName(question.appointmentTypeId!)}.`,
            fix: `In the slot type features, choose the appointment type for ${types}.`,
          };
        },
      },
      {
        id: 'practitioner_mapped',
        title: 'Is the practitioner mapped?',
        fails: (c) => !c.slot.ehr_practitioner_id || !mappedPractitioners.has(c.slot.ehr_practitioner_id),
        pass: 'Their practitioners are mapped.',
        explain: (failing) => {
          const names = [
            ...new Set(failing.map((c) => nameOf('practitioner', c.slot.ehr_practitioner_id))),
          ].join(', ');
          return {
            evidence: `${names} is not mapped to any of our practitioners.`,
            fix: `In the practitioner mapping, choose ${names} for the matching practitioner.`,
          };
        },
      },
      {
        id: 'location_mapped',
        title: 'Is the location mapped?',
        fails: (c) => !c.slot.ehr_location_id || !mappedLocations.has(c.slot.ehr_location_id),
        pass: 'Their sites are mapped.',
        explain: (failing) => {
          const names = [...new Set(failing.map((c) => nameOf('location', c.slot.ehr_location_id)))].join(
            ', ',
          );
          return {
            evidence: `site ${names} is not mapped to any of our locations.`,
            fix: `In the location mapping, choose ${names} for the matching location.`,
          };
        },
      },
      {
        id: 'slot_free',
        title: `Is the slot free in ${ehrName}?`,
        fails: (c) => c.slot.status !== 'free',
        pass: `${ehrName} shows them free.`,
        explain: (failing) => ({
          evidence: `${ehrName} shows them ${[...new Set(failing.map((c) => c.slot.ehr_status))].join(', ')}.`,
          fix: `Nothing to fix if they are booked; free or unblock them in ${ehrName} if they should be offered.`,
        }),
      },
      {
        id: 'not_held_by_booking',
        title: 'Is the slot free of our own bookings?',
        fails: (c) => c.heldByBooking,
        pass: 'No booking of ours holds them.',
        explain: () => ({
          evidence: 'a booking made through slotbridge holds them.',
          fix: 'Nothing to fix: they are booked.',
        }),
      },
      {
        id: 'in_future',
        title: 'Is the slot in the future?',
        fails: (c) => c.slot.start_at <= now,
        pass: 'They are in the future.',
        explain: () => ({
          evidence: 'they have already started.',
          fix: 'Nothing to fix: past slots are never offered.',
        }),
      },
      {
        id: 'within_horizon',
        title: 'Is the slot inside the publishing horizon?',
        fails: (c) => c.slot.start_at >= horizonEnd,
        pass: 'They are inside the publishing horizon.',
        explain: () => ({
          evidence: `they are after ${instantToLocalIso(horizonEnd, zone)}, the end of the publishing horizon.`,
          fix: 'Lengthen the publishing horizon (PATCH /v1/practices/{practiceId} publishingHorizonDays), up to the plugin maximum.',
        }),
      },
      {
        id: 'sync_fresh',
        title: 'Is the last good sync recent enough?',
        fails: () => !fresh,
        pass: 'The last good sync is recent.',
        explain: () => ({
          evidence: `the last good sync (${connection?.last_good_sync_at ? instantToLocalIso(connection.last_good_sync_at, zone) : 'never'}) is older than ${Math.round(this.options.staleAfterSeconds / 60)} minutes, so nothing is offered until the next one succeeds.`,
          fix: 'Fix the connection (see the connection check), then sync.',
        }),
      },
    ];
    for (const rule of rules) {
      if (candidates.length === 0) {
        checks.push({
          id: rule.id,
          title: rule.title,
          status: 'not_applicable',
          evidence:
            question.slotId && !askedSlot
              ? `No slot ${question.slotId} is stored.`
              : 'No synced slot of that day matches the question.',
        });
        continue;
      }
      const failing = candidates.filter(rule.fails);
      if (failing.length === 0) {
        checks.push({ id: rule.id, title: rule.title, status: 'pass', evidence: rule.pass });
        continue;
      }
      const { evidence, fix } = rule.explain(failing);
      const examples = failing
        .slice(0, EXAMPLES)
        .map((c) => localTime(c.slot.start_at))
        .join(', ');
      checks.push({
        id: rule.id,
        title: rule.title,
        status: 'fail',
        evidence: `${failing.length} of ${candidates.length} slot(s) (e.g. ${examples}): ${evidence}`,
        fix,
      });
    }

    // The plugin's own checks (e.g. HS1 stacking), through the diagnose hook.
    if (ctx) {
      checks.push(
        ...(await this.ehr.diagnose(practice.ehr, ctx, {
          date: question.date,
          ...(slotTypeId && { ehrSlotTypeId: slotTypeId }),
          ...(practitionerId && { ehrPractitionerId: practitionerId }),
          ...(question.appointmentTypeId && { appointmentTypeId: question.appointmentTypeId }),
          slots: storedMatching.map(slotRef),
        })),
      );
    }

    const offered = candidates.filter((c) => rules.every((rule) => !rule.fails(c)));

    return {
      date: question.date,
      timeZone: zone,
      slotsConsidered: candidates.length,
      slotsOffered: offered.length,
      checks,
      failing: checks.filter((c) => c.status === 'fail').map((c) => c.title),
    };
  }
}

function slotRef(slot: Slot): EhrSlotRef {
  return {
    ehrSlotId: slot.ehr_slot_id,
    ehrSessionId: slot.ehr_session_id,
    ehrPractitionerId: slot.ehr_practitioner_id,
    ehrLocationId: slot.ehr_location_id,
    ehrSlotTypeId: slot.ehr_slot_type_id,
    startAt: slot.start_at,
    endAt: slot.end_at,
  };
}
