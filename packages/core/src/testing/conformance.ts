/**
 * The conformance kit: one tap suite every EHR plugin runs against its own sandbox, over the
 * plugin's real transport. Each check is one named tap test, written so that a careless plugin
 * fails it with a message naming what went wrong. A plugin passes when:
 *
 * - the core accepts its definition, and its error table lists codes each with a kind and a fix;
 * - its set-up steps (`setupSteps`), when declared, each have a non-empty title and text, and no
 *   two share a title;
 * - its connection schema refuses bad input; checkSetup runs checks of its own, passes on a good
 *   sandbox and names the fix for each broken set-up flag, and for a stray space in a typed field;
 * - discover returns the catalogue; onSlotFetch returns exactly the sandbox's slots of a window;
 * - a booking lands in the sandbox, and a taken slot is a typed slot_taken;
 * - the same book command sent again (its answer lost) answers the same booking and the sandbox's
 *   diary holds exactly one appointment in the slot (not two);
 * - slots placed at 09:00 and 16:00 local on the day before, of and after each of the next two
 *   daylight-saving changes of the practice's zone come back, in a one-day fetch, at exactly those
 *   local times (a zone without DST: that part is reported skipped with the reason, and an
 *   ordinary day a month ahead is checked instead);
 * - cancel is as declared: `cancel: true` frees the slot (and a repeated cancel is harmless);
 *   `cancel: false` is refused by the core (SB_ERR_CANCEL_UNSUPPORTED) before the plugin is
 *   called, and the plugin itself answers a cancel with a typed "unsupported" that writes nothing;
 * - a patient the EHR cannot match is held (`heldForReconciliation`, the slot held in the sandbox),
 *   refused (patient_not_matched, nothing written), or registered, as the subject declares;
 * - what reception does in the EHR (book, block, cancel) shows in the next onSlotFetch;
 * - injected faults are typed transient errors; mapSlotType, when the plugin refines it, answers a
 *   feature of the core's and an appointment type of the practice's table;
 * - every EhrError it throws has a code of its error table, the table's kind and the table's fix.
 *
 *   import { ehrConformanceSuite } from '@slotbridge/core/testing';
 *   ehrConformanceSuite(t, {
 *     plugin: emisPlugin,
 *     errors: EMIS_ERRORS,
 *     unmatchedPatient: 'hold',
 *     start: async () => { … return a ConformanceSandbox },
 *   });
 *
 * docs/adding-an-ehr.md §6 walks through writing the `start` function. packages/core/test/
 * fixtures/naive-plugin is a plugin written carelessly; conformance-catches-naive.test.ts proves
 * each of these checks fails it.
 */
import { DateTime } from 'luxon';
import type { Test } from 'tap';
import { Value } from 'typebox/value';
import type {
  BookingWriteCommand,
  EhrContext,
  EhrPluginDefinition,
  EhrSlot,
  EhrSlotRef,
  PatientDetails,
} from '../ehr-plugin.ts';
import { EhrRegistry } from '../ehr-registry.ts';
import { CoreErrorCode, EhrError, type EhrErrorKind, SlotbridgeError } from '../errors.ts';
import {
  instantToLocalIso,
  localDateOf,
  localToInstant,
  startOfLocalDay,
  startOfNextLocalDay,
} from '../time.ts';
import { hookContext } from './hook-context.ts';

/** A plugin's error table (packages/plugin-…/src/errors.ts): each code's kind and fix. */
export type EhrErrorTable = Readonly<Record<string, { readonly kind: EhrErrorKind; readonly fix: string }>>;

/** One free slot the kit asks the sandbox to put in its diary. */
export interface PlacedSlot {
  /** The practice's local date, YYYY-MM-DD: up to two years ahead. */
  date: string;
  /** Local wall-clock start, HH:mm. */
  time: string;
  /** Length in minutes (the kit asks for 30). */
  minutes: number;
  /** One of `window.slotTypeIds`. */
  slotTypeId: string;
}

/** A sandbox as the kit drives it. Each call of `start` gives a fresh one with a known diary. */
export interface ConformanceSandbox<C extends Record<string, unknown>> {
  /** Settings that connect to this sandbox, as a practice would type them. */
  connection: C;
  /** The practice's IANA zone the sandbox's diary is in. */
  timeZone: string;
  /** A window with at least two free slots in it, and the slot types to ask for. */
  window: { from: Date; to: Date; slotTypeIds: string[] };
  /** The sandbox's own truth: ids of every slot of those types starting in the window. */
  slotIdsInWindow(): Promise<string[]>;
  /** Whether the sandbox's diary shows the slot booked. */
  isBooked(ehrSlotId: string): Promise<boolean>;
  /**
   * How many live (not cancelled) appointments the sandbox's diary holds in the slot: 0 when it
   * is free, 1 when booked. 2 is a double booking; count them as the EHR keeps them.
   */
  appointmentsIn(ehrSlotId: string): Promise<number>;
  /**
   * Puts one free slot in the diary at a local date and time (far ahead: the kit places slots
   * around the next two daylight-saving changes); answers its id as onSlotFetch will name it.
   */
  placeSlot(slot: PlacedSlot): Promise<string>;
  /** Reception at the practice, working in the EHR itself (not through the plugin). */
  reception: {
    /** Books a patient into the free slot. */
    book(ehrSlotId: string): Promise<void> | void;
    /** Cancels the appointment in the slot (one reception booked). */
    cancel(ehrSlotId: string): Promise<void> | void;
    /** Blocks the free slot so nobody can book it. */
    block(ehrSlotId: string): Promise<void> | void;
  };
  /** A patient the sandbox can match. */
  patient: PatientDetails;
  /** Another patient the sandbox can match (to try a taken slot). */
  otherPatient: PatientDetails;
  /** A patient the EHR cannot match to exactly one record. */
  unknownPatient: PatientDetails;
  /** The EHR's unregistered-patient slot type (seed 002) in this sandbox; null when it has none. */
  unregisteredSlotTypeId: string | null;
  /**
   * Whether the diary shows the slot held for a patient the EHR could not match (blocked for
   * reception to book the right patient in). Required when the subject declares 'hold'.
   */
  isHeld?(ehrSlotId: string): Promise<boolean>;
  /** Settings the connection schema must refuse. */
  invalidConnections: unknown[];
  /** Each set-up mistake the plugin's checkSetup must name. `break` makes it in the sandbox. */
  brokenSetups: { name: string; break(): Promise<void> | void; failingCheckId: string }[];
  /** Makes the next call(s) of the given operation fail as the EHR would when it is down. */
  injectOutage(operation: 'fetch' | 'write'): Promise<void> | void;
  stop(): Promise<void>;
}

export interface ConformanceSubject<C extends Record<string, unknown>> {
  plugin: EhrPluginDefinition<C>;
  /** The plugin's error table: every EhrError the kit meets must be one of its codes, with its kind and fix. */
  errors: EhrErrorTable;
  /**
   * What the plugin does with a patient the EHR cannot match. 'hold': with an unregistered-patient
   * slot type it holds the slot (`heldForReconciliation: true`), without one it refuses;
   * 'refuse': always patient_not_matched; 'register': the EHR itself makes a record from the
   * details given and the booking lands (HS1 Exact) — only for an EHR that really does.
   */
  unmatchedPatient: 'hold' | 'refuse' | 'register';
  start(): Promise<ConformanceSandbox<C>>;
}

const EHR_ERROR_KINDS: readonly EhrErrorKind[] = [
  'slot_taken',
  'patient_not_matched',
  'unsupported',
  'auth_failed',
  'rejected',
  'transient',
];

/** The kit places slots of this length, at these local times, around each daylight-saving change. */
const PLACED_MINUTES = 30;
const PLACED_TIMES = ['09:00', '16:00'] as const;

function contextFor<C extends Record<string, unknown>>(connection: C, timeZone: string): EhrContext<C> {
  return hookContext(connection, {
    practice: { id: 'conformance-practice', name: 'Conformance practice', odsCode: 'A81001', timeZone },
  });
}

function refOf(slot: EhrSlot): EhrSlotRef {
  const { status: _status, ehrStatus: _ehrStatus, ...ref } = slot;
  return ref;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

function describe(error: unknown): string {
  if (error === undefined) return 'no error: it succeeded';
  if (error instanceof SlotbridgeError) return `${error.name} ${error.code}: ${error.message}`;
  if (error instanceof Error) return `a plain ${error.name} (${error.message})`;
  return `a thrown ${typeof error} (${String(error)})`;
}

/**
 * The next `count` daylight-saving changes of `zone` within two years: the local date each
 * happens on, and whether the clocks go forward (a shorter day) or back.
 */
export function nextClockChanges(
  zone: string,
  from: Date,
  count = 2,
): { date: string; direction: 'forward' | 'back' }[] {
  const changes: { date: string; direction: 'forward' | 'back' }[] = [];
  let day = DateTime.fromJSDate(from, { zone }).set({ hour: 12, minute: 0, second: 0, millisecond: 0 });
  for (let n = 0; n < 2 * 366 && changes.length < count; n += 1) {
    const next = day.plus({ days: 1 });
    if (next.offset !== day.offset) {
      changes.push({ date: next.toISODate()!, direction: next.offset > day.offset ? 'forward' : 'back' });
    }
    day = next;
  }
  return changes;
}

function plusDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate()!;
}

export function ehrConformanceSuite<C extends Record<string, unknown>>(
  t: Test,
  subject: ConformanceSubject<C>,
): void {
  const { plugin, errors } = subject;

  const withSandbox = async (tt: Test) => {
    const sandbox = await subject.start();
    tt.teardown(() => sandbox.stop());
    return { sandbox, ctx: contextFor(sandbox.connection, sandbox.timeZone) };
  };

  /**
   * The one way the kit looks at an error a hook threw: an EhrError whose code is in the plugin's
   * error table, with the table's kind and the table's fix (and the kind expected, when given).
   */
  const expectTableError = (tt: Test, error: unknown, what: string, kind?: EhrErrorKind): boolean => {
    if (!(error instanceof EhrError)) {
      tt.fail(`${what}: expected an EhrError${kind ? ` of kind ${kind}` : ''}; got ${describe(error)}`);
      return false;
    }
    const entry = Object.hasOwn(errors, error.code) ? errors[error.code] : undefined;
    let ok = tt.ok(entry, `${what}: ${error.code} is a code of the plugin's error table`);
    if (entry) {
      ok = tt.equal(error.kind, entry.kind, `${what}: ${error.code} has the kind its table row gives`) && ok;
      ok = tt.equal(error.fix, entry.fix, `${what}: ${error.code} carries its table row's fix`) && ok;
    } else {
      ok = tt.ok((error.fix ?? '').length > 10, `${what}: ${error.code} carries a fix`) && ok;
    }
    if (kind) ok = tt.equal(error.kind, kind, `${what}: a typed ${kind}`) && ok;
    return ok;
  };

  const bookCommand = (
    slot: EhrSlot,
    patient: PatientDetails,
    bookingId: string,
    unregisteredSlotTypeId: string | null = null,
  ): BookingWriteCommand => ({
    kind: 'book',
    bookingId,
    slot: refOf(slot),
    targetEhrSlotTypeId: null,
    patient,
    reason: 'Conformance check',
    note: null,
    unregisteredSlotTypeId,
  });

  const cancelCommand = (
    slot: EhrSlot,
    patient: PatientDetails,
    bookingId: string,
    ehrBookingRef: string,
  ): BookingWriteCommand => ({
    kind: 'cancel',
    bookingId,
    slot: refOf(slot),
    ehrBookingRef,
    patient,
    reason: null,
  });

  /** The window's slots; fails the test unless it has at least `free` free ones. */
  const freeSlots = async (sandbox: ConformanceSandbox<C>, ctx: EhrContext<C>, free = 1) => {
    const { slots } = await plugin.onSlotFetch(ctx, sandbox.window);
    const found = slots.filter((s) => s.status === 'free');
    if (found.length < free) {
      throw new Error(
        `The conformance window must hold ${free} free slot(s); onSlotFetch found ${found.length} of ${slots.length}`,
      );
    }
    return found;
  };

  /** The slot as the next onSlotFetch of the window reports it, or undefined when it is not listed. */
  const fetched = async (sandbox: ConformanceSandbox<C>, ctx: EhrContext<C>, ehrSlotId: string) => {
    const { slots } = await plugin.onSlotFetch(ctx, sandbox.window);
    return slots.find((s) => s.ehrSlotId === ehrSlotId);
  };

  t.test(`${plugin.id}: the definition is accepted by the core; its error table is complete`, async (tt) => {
    const registry = new EhrRegistry();
    tt.doesNotThrow(() => registry.register(plugin));
    const rows = Object.entries(errors);
    tt.ok(rows.length > 0, 'the subject passes the plugin error table (errors)');
    for (const [code, row] of rows) {
      if (
        !(
          /^[A-Z0-9]+_ERR_[A-Z0-9_]+$/.test(code) &&
          EHR_ERROR_KINDS.includes(row.kind) &&
          row.fix.length > 10
        )
      )
        tt.fail(
          `error table row ${code}: a PREFIX_ERR_ code, an EhrError kind and a fix (${row.kind}, "${row.fix}")`,
        );
    }
  });

  t.test(
    `${plugin.id}: the set-up steps, when declared, each have a title and a text; titles unique`,
    async (tt) => {
      const steps = plugin.setupSteps;
      if (steps === undefined) {
        await tt.test('setupSteps', { skip: `${plugin.id} declares no setupSteps` }, async () => {});
        return;
      }
      tt.ok(Array.isArray(steps), 'setupSteps is a list');
      const seen = new Set<string>();
      (Array.isArray(steps) ? steps : []).forEach((step, i) => {
        const title = typeof step?.title === 'string' ? step.title.trim() : '';
        const text = typeof step?.text === 'string' ? step.text.trim() : '';
        if (title === '') tt.fail(`setupSteps[${i}] has a non-empty title`);
        if (text === '') tt.fail(`setupSteps[${i}] ("${title}") has a non-empty text`);
        if (step?.warning !== undefined && (typeof step.warning !== 'string' || step.warning.trim() === ''))
          tt.fail(`setupSteps[${i}] ("${title}"): a warning, when given, is a non-empty text`);
        if (title !== '' && seen.has(title)) tt.fail(`setupSteps[${i}]: the title "${title}" is used twice`);
        seen.add(title);
      });
      tt.pass(`${steps.length} set-up step(s) checked`);
    },
  );

  t.test(`${plugin.id}: the connection schema accepts good settings and refuses bad ones`, async (tt) => {
    const { sandbox } = await withSandbox(tt);
    tt.ok(Value.Check(plugin.connectionSchema, sandbox.connection), 'the sandbox settings are valid');
    tt.ok(sandbox.invalidConnections.length > 0, 'the subject lists bad settings to try');
    for (const bad of sandbox.invalidConnections) {
      tt.notOk(Value.Check(plugin.connectionSchema, bad), `refused: ${JSON.stringify(bad)}`);
    }
    const secrets = Object.entries(plugin.connectionSchema.properties).filter(
      ([, p]) => (p as { writeOnly?: boolean }).writeOnly === true,
    );
    tt.ok(secrets.length > 0, 'at least one field is marked writeOnly (a secret)');
  });

  // The checks as the core runs them: the shared checks of what was typed, then the plugin's.
  const registry = new EhrRegistry();
  registry.register(plugin);
  const checkSetup = (ctx: EhrContext<C>) => registry.checkSetup(plugin.id, ctx);
  const lintIds = /^credentials\./;

  t.test(`${plugin.id}: checkSetup passes on a good sandbox`, async (tt) => {
    const { ctx } = await withSandbox(tt);
    const checks = await checkSetup(ctx);
    // The core adds its checks of what was typed (credentials.…): the plugin must run its own.
    tt.ok(
      checks.some((c) => !lintIds.test(c.id)),
      'checkSetup runs checks of its own, beside the core’s credentials.… checks',
    );
    for (const check of checks.filter((c) => c.severity === 'error'))
      tt.ok(check.ok, `${check.id}: ${check.message}`);
  });

  t.test(`${plugin.id}: checkSetup names the fix for each broken set-up flag`, async (tt) => {
    const probe = await subject.start();
    const broken = probe.brokenSetups.map((b) => b.name);
    await probe.stop();
    tt.ok(broken.length > 0, 'the subject lists set-up mistakes to make');
    for (const name of broken) {
      await tt.test(name, async (ttt) => {
        const { sandbox, ctx } = await withSandbox(ttt);
        const mistake = sandbox.brokenSetups.find((b) => b.name === name)!;
        await mistake.break();
        const checks = await checkSetup(ctx);
        const failing = checks.find((c) => c.id === mistake.failingCheckId);
        ttt.ok(failing, `check ${mistake.failingCheckId} is reported`);
        ttt.equal(failing?.ok, false, `check ${mistake.failingCheckId} fails`);
        ttt.ok(failing?.fix && failing.fix.length > 10, `with a fix: ${failing?.fix}`);
      });
    }
  });

  t.test(`${plugin.id}: a stray space in any field typed is named, with its fix`, async (tt) => {
    const { sandbox } = await withSandbox(tt);
    const typed = Object.entries(sandbox.connection).filter(
      ([field, value]) =>
        typeof value === 'string' &&
        Value.Check(plugin.connectionSchema, { ...sandbox.connection, [field]: `${value} ` }),
    );
    tt.ok(typed.length > 0, 'the connection has text fields');
    for (const [field, value] of typed) {
      // The plugin's checkSetup runs on the spaced value too: it must answer, not throw.
      const checks = await checkSetup(
        contextFor({ ...sandbox.connection, [field]: `${value} ` }, sandbox.timeZone),
      );
      const spaces = checks.find((c) => c.id === 'credentials.spaces');
      tt.equal(spaces?.ok, false, `a space after ${field} is named`);
      tt.match(spaces?.fix, /without spaces/, 'with the fix');
    }
  });

  t.test(`${plugin.id}: discover returns the catalogue`, async (tt) => {
    const { sandbox, ctx } = await withSandbox(tt);
    const catalogue = await plugin.discover(ctx);
    for (const kind of ['practitioners', 'locations', 'slotTypes'] as const) {
      tt.ok(catalogue[kind].length > 0, `${kind} listed`);
      tt.ok(
        catalogue[kind].every((e) => typeof e.ehrId === 'string' && e.ehrId.length > 0 && e.name.length > 0),
        `${kind} have ids and names`,
      );
      tt.equal(
        new Set(catalogue[kind].map((e) => e.ehrId)).size,
        catalogue[kind].length,
        `${kind} ids are unique`,
      );
    }
    const known = new Set(catalogue.slotTypes.map((s) => s.ehrId));
    tt.ok(sandbox.window.slotTypeIds.length > 0, 'the window names slot types');
    for (const id of sandbox.window.slotTypeIds) tt.ok(known.has(id), `slot type ${id} is in the catalogue`);
  });

  t.test(`${plugin.id}: onSlotFetch returns exactly the sandbox's slots for a window`, async (tt) => {
    const { sandbox, ctx } = await withSandbox(tt);
    const { from, to, slotTypeIds } = sandbox.window;
    const { slots } = await plugin.onSlotFetch(ctx, { from, to, slotTypeIds });
    const truth = await sandbox.slotIdsInWindow();
    tt.ok(truth.length > 0, 'the sandbox has slots in the window');
    tt.same(slots.map((s) => s.ehrSlotId).sort(), truth.sort(), 'the ids of the sandbox’s slots, no more');
    const types = new Set(slotTypeIds);
    for (const slot of slots) {
      if (
        !(
          slot.startAt >= from &&
          slot.startAt < to &&
          types.has(slot.ehrSlotTypeId) &&
          slot.endAt > slot.startAt
        )
      ) {
        tt.fail(`slot ${slot.ehrSlotId} is outside the window or of another type`);
      }
    }
    tt.equal(new Set(slots.map((s) => s.ehrSlotId)).size, slots.length, 'slot ids are unique');
    const again = await plugin.onSlotFetch(ctx, { from, to, slotTypeIds });
    tt.same(
      again.slots.map((s) => s.ehrSlotId).sort(),
      slots.map((s) => s.ehrSlotId).sort(),
      'slot ids are stable from one fetch to the next',
    );
    tt.same(
      (await plugin.onSlotFetch(ctx, { from, to, slotTypeIds: [] })).slots,
      [],
      'no active type, no slots',
    );
  });

  t.test(`${plugin.id}: a booking lands in the sandbox; a taken slot is a typed slot_taken`, async (tt) => {
    const { sandbox, ctx } = await withSandbox(tt);
    const [free] = await freeSlots(sandbox, ctx);
    const booked = await plugin.onBookingWrite(
      ctx,
      bookCommand(free!, sandbox.patient, 'conformance-booking-1'),
    );
    tt.ok(booked.ehrBookingRef.length > 0, 'an EHR reference is returned');
    tt.notOk(booked.heldForReconciliation, 'a patient the EHR matches is booked, not held');
    tt.ok(await sandbox.isBooked(free!.ehrSlotId), 'the sandbox diary shows it booked');
    tt.equal(await sandbox.appointmentsIn(free!.ehrSlotId), 1, 'the diary holds one appointment in the slot');

    const taken = await rejection(
      plugin.onBookingWrite(ctx, bookCommand(free!, sandbox.otherPatient, 'conformance-booking-2')),
    );
    expectTableError(tt, taken, 'another booking of the taken slot', 'slot_taken');
    tt.equal(
      await sandbox.appointmentsIn(free!.ehrSlotId),
      1,
      'and nothing was written: still one appointment in the slot',
    );
  });

  t.test(`${plugin.id}: the same book command again (its answer lost) books once`, async (tt) => {
    const { sandbox, ctx } = await withSandbox(tt);
    const [free] = await freeSlots(sandbox, ctx);
    const command = bookCommand(free!, sandbox.patient, 'conformance-repeat-1');
    const first = await plugin.onBookingWrite(ctx, command);
    // The same command again, as the core sends it when the first answer was lost: the plugin
    // finds its own booking rather than reporting the slot taken or booking a second time.
    const repeated = await rejection(
      plugin.onBookingWrite(ctx, command).then((result) => {
        tt.equal(
          result.ehrBookingRef,
          first.ehrBookingRef,
          'a repeated book command answers the same booking (the same EHR reference)',
        );
      }),
    );
    if (repeated !== undefined)
      tt.fail(`a repeated book command must answer the first booking; it threw ${describe(repeated)}`);
    tt.equal(
      await sandbox.appointmentsIn(free!.ehrSlotId),
      1,
      'the sandbox diary holds exactly one appointment in the slot after the repeat (2 is a double booking)',
    );
  });

  t.test(
    `${plugin.id}: slots keep their local wall-clock times across both daylight-saving changes`,
    async (tt) => {
      const { sandbox, ctx } = await withSandbox(tt);
      const zone = sandbox.timeZone;
      const changes = nextClockChanges(zone, new Date());
      const days: (readonly [string, string])[] = changes.flatMap((change) => [
        [plusDays(change.date, -1), `the day before the clocks go ${change.direction}`] as const,
        [change.date, `the day the clocks go ${change.direction}`] as const,
        [plusDays(change.date, 1), `the day after the clocks go ${change.direction}`] as const,
      ]);
      if (changes.length < 2) {
        await tt.test(
          'daylight-saving changes',
          {
            skip: `${zone} has ${changes.length === 0 ? 'no' : 'only one'} daylight-saving change in the next two years: only an ordinary day is checked`,
          },
          async () => {},
        );
        // Local times still are not UTC: check an ordinary day a month ahead.
        days.push([plusDays(localDateOf(new Date(), zone), 30), 'an ordinary day'] as const);
      }
      const slotTypeId = sandbox.window.slotTypeIds[0]!;
      const placed: { label: string; date: string; time: string; ehrSlotId: string }[] = [];
      for (const [date, words] of days) {
        for (const time of PLACED_TIMES) {
          const ehrSlotId = await sandbox.placeSlot({ date, time, minutes: PLACED_MINUTES, slotTypeId });
          placed.push({ label: `${time} on ${date} (${words})`, date, time, ehrSlotId });
        }
      }
      for (const date of [...new Set(placed.map((p) => p.date))]) {
        const from = startOfLocalDay(date, zone);
        const { slots } = await plugin.onSlotFetch(ctx, {
          from,
          to: startOfNextLocalDay(from, zone),
          slotTypeIds: [slotTypeId],
        });
        for (const p of placed.filter((q) => q.date === date)) {
          const slot = slots.find((s) => s.ehrSlotId === p.ehrSlotId);
          const want = localToInstant(p.date, p.time, zone);
          if (!slot) {
            tt.fail(`${p.label}: not listed by onSlotFetch for that local day (${zone})`, {
              listed: slots.map((s) => `${s.ehrSlotId} ${instantToLocalIso(s.startAt, zone)}`),
            });
            continue;
          }
          tt.equal(
            instantToLocalIso(slot.startAt, zone),
            instantToLocalIso(want, zone),
            `${p.label}: starts at ${p.time} local in ${zone}`,
          );
          tt.equal(
            slot.endAt.getTime() - slot.startAt.getTime(),
            PLACED_MINUTES * 60_000,
            `${p.label}: lasts ${PLACED_MINUTES} minutes`,
          );
        }
      }
    },
  );

  t.test(`${plugin.id}: cancel is as the capabilities declare`, async (tt) => {
    const { sandbox, ctx } = await withSandbox(tt);
    const [free] = await freeSlots(sandbox, ctx);
    const booked = await plugin.onBookingWrite(
      ctx,
      bookCommand(free!, sandbox.patient, 'conformance-cancel-1'),
    );
    const cancel = cancelCommand(free!, sandbox.patient, 'conformance-cancel-1', booked.ehrBookingRef);
    if (plugin.capabilities.cancel) {
      const failed = await rejection(plugin.onBookingWrite(ctx, cancel));
      if (failed !== undefined) {
        tt.fail(`capabilities.cancel is true, but cancel threw ${describe(failed)}`);
        expectTableError(tt, failed, 'cancel');
      }
      tt.notOk(await sandbox.isBooked(free!.ehrSlotId), 'cancel frees the slot in the sandbox');
      tt.equal(await sandbox.appointmentsIn(free!.ehrSlotId), 0, 'no appointment is left in the slot');
      tt.equal(
        (await fetched(sandbox, ctx, free!.ehrSlotId))?.status,
        'free',
        'onSlotFetch reports the slot free again',
      );
      // The same cancel again, as the core sends it when the first answer was lost.
      const again = await rejection(plugin.onBookingWrite(ctx, cancel));
      if (again !== undefined)
        tt.fail(`a repeated cancel (its answer lost) must count as cancelled; it threw ${describe(again)}`);
      return;
    }
    // The core refuses first: the plugin is never called with a cancel it declared it cannot do.
    const calls: string[] = [];
    const core = new EhrRegistry();
    core.register({
      ...plugin,
      onBookingWrite: (c, command) => {
        calls.push(command.kind);
        return plugin.onBookingWrite(c, command);
      },
    });
    const refusedByCore = await rejection(core.writeBooking(plugin.id, ctx, cancel));
    tt.equal(
      (refusedByCore as SlotbridgeError | undefined)?.code,
      CoreErrorCode.CANCEL_UNSUPPORTED,
      `the core refuses a cancel with ${CoreErrorCode.CANCEL_UNSUPPORTED}`,
    );
    tt.same(calls, [], "and never calls the plugin's onBookingWrite for it");
    // Called anyway (an older core, a test), the plugin refuses it, typed, and writes nothing.
    const refused = await rejection(plugin.onBookingWrite(ctx, cancel));
    expectTableError(tt, refused, 'capabilities.cancel is false: a cancel', 'unsupported');
    tt.ok(await sandbox.isBooked(free!.ehrSlotId), 'and nothing was written: still booked');
    tt.equal(await sandbox.appointmentsIn(free!.ehrSlotId), 1, 'still one appointment in the slot');
  });

  t.test(
    `${plugin.id}: a patient the EHR cannot match is ${subject.unmatchedPatient === 'hold' ? 'held' : subject.unmatchedPatient === 'refuse' ? 'refused' : 'registered'}, as declared`,
    async (tt) => {
      const { sandbox, ctx } = await withSandbox(tt);
      const frees = await freeSlots(sandbox, ctx, 2);
      const nothingWritten = async (slot: EhrSlot, what: string) => {
        tt.notOk(await sandbox.isBooked(slot.ehrSlotId), `${what}: nothing written, not booked`);
        tt.equal(await sandbox.appointmentsIn(slot.ehrSlotId), 0, `${what}: nothing written, no appointment`);
        if (sandbox.isHeld)
          tt.notOk(await sandbox.isHeld(slot.ehrSlotId), `${what}: nothing written, not held`);
        tt.equal(
          (await fetched(sandbox, ctx, slot.ehrSlotId))?.status,
          'free',
          `${what}: the slot is still free`,
        );
      };
      const refuses = async (slot: EhrSlot, unregistered: string | null, what: string) => {
        const answer = await rejection(
          plugin.onBookingWrite(
            ctx,
            bookCommand(
              slot,
              sandbox.unknownPatient,
              `conformance-unmatched-${slot.ehrSlotId}`,
              unregistered,
            ),
          ),
        );
        expectTableError(tt, answer, what, 'patient_not_matched');
        await nothingWritten(slot, what);
      };
      if (subject.unmatchedPatient === 'refuse') {
        await refuses(frees[0]!, sandbox.unregisteredSlotTypeId, 'an unmatched patient (declared: refuse)');
        return;
      }
      if (subject.unmatchedPatient === 'register') {
        const result = await plugin.onBookingWrite(
          ctx,
          bookCommand(frees[0]!, sandbox.unknownPatient, 'conformance-unmatched-register'),
        );
        tt.notOk(result.heldForReconciliation, 'declared register: the booking lands, not held');
        tt.equal(
          await sandbox.appointmentsIn(frees[0]!.ehrSlotId),
          1,
          'declared register: one appointment in the slot',
        );
        return;
      }
      // 'hold': held with an unregistered-patient slot type, refused without one.
      const held = frees[0]!;
      if (sandbox.unregisteredSlotTypeId === null || !sandbox.isHeld) {
        tt.fail(
          "the subject declares unmatchedPatient 'hold': the sandbox must name its unregisteredSlotTypeId and supply isHeld",
        );
      } else {
        const command = bookCommand(
          held,
          sandbox.unknownPatient,
          'conformance-unmatched-hold',
          sandbox.unregisteredSlotTypeId,
        );
        let holdRef: string | undefined;
        const answer = await rejection(
          plugin.onBookingWrite(ctx, command).then((result) => {
            holdRef = result.ehrBookingRef;
            tt.equal(
              result.heldForReconciliation,
              true,
              'an unmatched patient is held: heldForReconciliation is true',
            );
            tt.ok(result.ehrBookingRef.length > 0, 'with a reference to the hold');
          }),
        );
        if (answer !== undefined) {
          tt.fail(
            `an unmatched patient with an unregistered-patient slot type must be held; it threw ${describe(answer)}`,
          );
        }
        tt.ok(await sandbox.isHeld(held.ehrSlotId), 'the sandbox diary shows the slot held');
        tt.not(
          (await fetched(sandbox, ctx, held.ehrSlotId))?.status,
          'free',
          'onSlotFetch no longer reports it free',
        );
        const again = await rejection(
          plugin.onBookingWrite(ctx, command).then((result) => {
            tt.equal(
              result.ehrBookingRef,
              holdRef,
              'the same hold again (its answer lost) answers the same hold',
            );
          }),
        );
        if (again !== undefined)
          tt.fail(`the same hold again (its answer lost) must answer the hold; it threw ${describe(again)}`);
      }
      await refuses(frees[1]!, null, 'an unmatched patient, no unregistered-patient slot type');
    },
  );

  t.test(`${plugin.id}: what reception does in the EHR shows in the next onSlotFetch`, async (tt) => {
    const { sandbox, ctx } = await withSandbox(tt);
    const [a, b] = await freeSlots(sandbox, ctx, 2);
    const listsBooked = plugin.capabilities.listsBookedSlots === true;

    await sandbox.reception.book(a!.ehrSlotId);
    tt.equal(
      await sandbox.appointmentsIn(a!.ehrSlotId),
      1,
      'reception booked: the diary holds the appointment',
    );
    const afterBook = await fetched(sandbox, ctx, a!.ehrSlotId);
    if (listsBooked) {
      tt.equal(
        afterBook?.status,
        'booked',
        'booked by reception: listed booked (capabilities.listsBookedSlots)',
      );
    } else {
      tt.not(afterBook?.status, 'free', 'booked by reception: no longer reported free');
    }

    await sandbox.reception.block(b!.ehrSlotId);
    tt.not(
      (await fetched(sandbox, ctx, b!.ehrSlotId))?.status,
      'free',
      'blocked by reception: no longer reported free',
    );

    await sandbox.reception.cancel(a!.ehrSlotId);
    tt.equal(await sandbox.appointmentsIn(a!.ehrSlotId), 0, 'cancelled by reception: no appointment left');
    tt.equal(
      (await fetched(sandbox, ctx, a!.ehrSlotId))?.status,
      'free',
      'cancelled by reception: free again',
    );
  });

  t.test(`${plugin.id}: an outage is a typed transient error`, async (tt) => {
    for (const operation of ['fetch', 'write'] as const) {
      const { sandbox, ctx } = await withSandbox(tt);
      const [free] = await freeSlots(sandbox, ctx);
      await sandbox.injectOutage(operation);
      const error = await rejection(
        operation === 'fetch'
          ? plugin.onSlotFetch(ctx, sandbox.window)
          : plugin.onBookingWrite(ctx, bookCommand(free!, sandbox.patient, 'conformance-outage')),
      );
      expectTableError(tt, error, `${operation} while the EHR is down`, 'transient');
    }
  });

  t.test(`${plugin.id}: mapSlotType answers the practice's table for every slot type`, async (tt) => {
    if (!plugin.mapSlotType) {
      // The core's own mapping reads the practice's table; nothing of the plugin's to check.
      await tt.test(
        'mapSlotType',
        { skip: `${plugin.id} has no mapSlotType: the core's mapping applies` },
        async () => {},
      );
      return;
    }
    const { ctx } = await withSandbox(tt);
    const registry = new EhrRegistry();
    registry.register(plugin);
    const catalogue = await plugin.discover(ctx);
    tt.ok(catalogue.slotTypes.length > 0, 'discover lists slot types to map');
    const slotTypeMappings = catalogue.slotTypes.map((s, i) => ({
      ehrSlotTypeId: s.ehrId,
      feature: i % 2 === 0 ? ('bookable' as const) : ('not_bookable' as const),
      appointmentTypeId: i % 2 === 0 ? `type-${s.ehrId}` : null,
    }));
    const at = new Date(Date.now() + 86_400_000);
    for (const slotType of catalogue.slotTypes) {
      const mapping = await registry.mapSlotType(plugin.id, ctx, {
        slot: {
          ehrSlotId: `probe-${slotType.ehrId}`,
          ehrSessionId: null,
          ehrPractitionerId: catalogue.practitioners[0]?.ehrId ?? null,
          ehrLocationId: catalogue.locations[0]?.ehrId ?? null,
          ehrSlotTypeId: slotType.ehrId,
          startAt: at,
          endAt: new Date(at.getTime() + 600_000),
        },
        slotTypeMappings,
      });
      // A plugin's refinement still answers one of the core's features, and an appointment type
      // of the practice's table (or none): it cannot invent one.
      const known = new Set([null, 'disabled', ...slotTypeMappings.map((m) => m.appointmentTypeId)]);
      tt.ok(
        ['bookable', 'not_bookable', 'unregistered_patient', 'unmapped'].includes(mapping.feature) &&
          known.has(mapping.appointmentTypeId) &&
          (mapping.feature !== 'bookable' || typeof mapping.appointmentTypeId === 'string'),
        `${slotType.name}: ${mapping.feature} → ${mapping.appointmentTypeId}, a feature of the core's and an appointment type of the table`,
      );
    }
  });
}
