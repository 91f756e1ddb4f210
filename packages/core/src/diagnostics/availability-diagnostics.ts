/**
 * "Why isn't this slot offered?" Seed 001's four questions in order — is the session built in
 * the EHR diary that day, is the slot type active, could the change be newer than the last
 * sync, is the connection healthy — then every offer rule of the one list (offers/offer-rules.ts)
 * that `/slots` and the booking accept read, then the plugin's own checks. Every check is
 * answered (pass, fail or not applicable) with its evidence and, when it fails, the fix in a
 * practice manager's words. All failing checks are reported, not just the first.
 */
import { DateTime } from 'luxon';
import { type Static, Type } from 'typebox';
import type { Availability } from '../availability.ts';
import type { Connections } from '../connections.ts';
import type { Db } from '../db/database.ts';
import type { Practice, Slot } from '../db/schema.ts';
import type { DiagnosticCheck, EhrSlot, EhrSlotRef } from '../ehr-plugin.ts';
import type { EhrRegistry } from '../ehr-registry.ts';
import { CoreErrorCode, InputError, SlotbridgeError } from '../errors.ts';
import {
  OFFER_RULES,
  type OfferCandidate,
  type OfferSnapshot,
  type RuleWords,
  rulePasses,
} from '../offers/offer-rules.ts';
import {
  candidateOf,
  liveBookingsBetween,
  loadOfferSetup,
  offerContext,
  storedMapping,
} from '../offers/offers.ts';
import type { SyncState } from '../sync/sync-state.ts';
import { instantToLocalIso, localToInstant } from '../time.ts';

export interface AvailabilityQuestion {
  /** Local date at the practice, YYYY-MM-DD. */
  date: string;
  ehrSlotTypeId?: string;
  ehrPractitionerId?: string;
  appointmentTypeId?: string;
  /** One of our slot ids. */
  slotId?: string;
}

/** One check of the diagnosis as the API answers it: the plugin contract's DiagnosticCheck. */
const DiagnosticCheckViewSchema = Type.Object({
  id: Type.String(),
  title: Type.String({ description: 'The question the check answers' }),
  status: Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('not_applicable')]),
  evidence: Type.String({ description: 'What was found' }),
  fix: Type.Optional(Type.String({ description: "What to do, in a practice manager's words" })),
});

/** "Why isn't this slot offered?" as the API answers it (`GET …/diagnostics/availability`). */
export const AvailabilityDiagnosisSchema = Type.Object(
  {
    date: Type.String({ description: 'The local date asked about, YYYY-MM-DD' }),
    timeZone: Type.String(),
    slotsConsidered: Type.Integer({ description: 'Stored slots of that date matching the question' }),
    slotsOffered: Type.Integer({ description: 'Of those, how many are offered now' }),
    checks: Type.Array(DiagnosticCheckViewSchema),
    failing: Type.Array(Type.String(), {
      description: "The failing checks' titles, in order; empty when everything passes",
    }),
  },
  { $id: 'AvailabilityDiagnosis' },
);
export type AvailabilityDiagnosis = Static<typeof AvailabilityDiagnosisSchema>;

const EXAMPLES = 3;

export class AvailabilityDiagnostics {
  constructor(
    private readonly db: Db,
    private readonly ehr: EhrRegistry,
    private readonly connections: Connections,
    private readonly availability: Availability,
    private readonly syncState: SyncState,
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
    const ehrName = this.ehr.get(practice.ehr).name;

    const [connection, catalogue, setup, syncState] = await Promise.all([
      this.db.selectFrom('connections').selectAll().where('practice_id', '=', practice.id).executeTakeFirst(),
      this.db
        .selectFrom('ehr_catalogue')
        .select(['kind', 'ehr_id', 'name', 'gone_at'])
        .where('practice_id', '=', practice.id)
        .execute(),
      loadOfferSetup(this.db, this.ehr, practice),
      this.syncState.of(practice.id),
    ]);
    const activeIds = setup.activeSlotTypeIds;
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
    const ctx = connection
      ? await offerContext({ ehr: this.ehr, connections: this.connections }, this.db, practice)
      : null;

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

    // 2. Is the slot type active? (The offer rule slot_type_active, asked of the EHR's diary.)
    const activeCheck = checks.length;
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
    const lastSync = syncState.lastSyncAt;
    const nextDue = syncState.nextSyncDueBy;
    const syncWords = lastSync
      ? `The last sync finished at ${instantToLocalIso(lastSync, zone)}; ${nextDue ? `the next is due by ${instantToLocalIso(nextDue, zone)}` : 'when the next is due is not known'}.`
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
              connection.status !== 'healthy' ? `The connection is ${connection.status}.` : '',
              connection.last_sync_error
                ? `The last sync failed (${connection.sync_failures} in a row): ${connection.last_sync_error}.`
                : '',
              liveError ? `Reading ${ehrName} now failed: ${liveError}.` : '',
            ]
              .filter(Boolean)
              .join(' '),
        ...(!healthy && {
          fix:
            connection.last_sync_fix ??
            'Open the connection (GET …/connection): its set-up checks say what to fix in the EHR; then save it again.',
        }),
      });
    }

    // The offer rules, over the stored slots of that day that match the question, with the
    // mapping mapSlotType chose when the offers were last refreshed (as /slots reads them).
    const snapshot: OfferSnapshot = {
      setup,
      moment: await this.availability.moment(
        practice,
        await liveBookingsBetween(this.db, practice.id, from, to),
      ),
    };
    const candidates: OfferCandidate[] = storedMatching.map((slot) => candidateOf(slot, storedMapping(slot)));
    const ruleQuestion = question.appointmentTypeId ? { appointmentTypeId: question.appointmentTypeId } : {};
    const words: RuleWords = {
      ehrName,
      timeZone: zone,
      nameOf,
      appointmentTypeName: (id) => setup.appointmentTypes.get(id)?.name ?? id,
      question: ruleQuestion,
    };
    for (const rule of OFFER_RULES) {
      const title = rule.title(words);
      const failing = candidates.filter((c) => !rulePasses(rule, c, snapshot, ruleQuestion));
      if (rule.id === 'slot_type_active') {
        // Seed 001's second question answers this rule; stored slots of a type taken off the
        // active list (not yet removed by a sync) fail it there.
        if (failing.length > 0)
          checks[activeCheck] = this.failed(
            rule.id,
            checks[activeCheck]!.title,
            rule.explain(failing, snapshot, words),
            failing,
            candidates.length,
            localTime,
          );
        continue;
      }
      if (candidates.length === 0) {
        checks.push({
          id: rule.id,
          title,
          status: 'not_applicable',
          evidence:
            question.slotId && !askedSlot
              ? `No slot ${question.slotId} is stored.`
              : 'No synced slot of that day matches the question.',
        });
        continue;
      }
      if (failing.length === 0) {
        checks.push({ id: rule.id, title, status: 'pass', evidence: rule.pass(words) });
        continue;
      }
      checks.push(
        this.failed(
          rule.id,
          title,
          rule.explain(failing, snapshot, words),
          failing,
          candidates.length,
          localTime,
        ),
      );
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

    const offered = candidates.filter((c) =>
      OFFER_RULES.every((rule) => rulePasses(rule, c, snapshot, ruleQuestion)),
    );

    return {
      date: question.date,
      timeZone: zone,
      slotsConsidered: candidates.length,
      slotsOffered: offered.length,
      checks,
      failing: checks.filter((c) => c.status === 'fail').map((c) => c.title),
    };
  }

  private failed(
    id: string,
    title: string,
    { evidence, fix }: { evidence: string; fix: string },
    failing: OfferCandidate[],
    considered: number,
    localTime: (instant: Date) => string,
  ): DiagnosticCheck {
    const examples = failing
      .slice(0, EXAMPLES)
      .map((c) => localTime(c.startAt))
      .join(', ');
    return {
      id,
      title,
      status: 'fail',
      evidence: `${failing.length} of ${considered} slot(s) (e.g. ${examples}): ${evidence}`,
      fix,
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
