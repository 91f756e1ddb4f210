/**
 * The conformance kit: one tap suite every EHR plugin runs against its own sandbox, over the
 * plugin's real transport. A plugin passes when its connection schema refuses bad input,
 * checkSetup passes on a good sandbox and names the fix for each broken set-up flag, discover
 * returns the catalogue, onSlotFetch returns exactly the sandbox's slots of a window, a booking
 * lands in the sandbox, the same book command sent again (its answer lost) answers the same
 * booking, a taken slot is a typed slot_taken error, cancel works (or is a typed "unsupported"
 * that writes nothing), injected faults are typed transient errors, every error carries a fix,
 * a stray space in a typed field is named, and
 * mapSlotType answers the practice's table for every slot type (a plugin's refinement stays
 * within the core's features and the table's appointment types).
 *
 *   import { ehrConformanceSuite } from '@slotbridge/core/testing';
 *   ehrConformanceSuite(t, { plugin: emisPlugin, start: async () => { … } });
 *
 * docs/adding-an-ehr.md walks through writing the `start` function.
 */
import type { Test } from 'tap';
import { Value } from 'typebox/value';
import type { EhrContext, EhrPluginDefinition, EhrSlot, EhrSlotRef, PatientDetails } from '../ehr-plugin.ts';
import { EhrRegistry } from '../ehr-registry.ts';
import { EhrError } from '../errors.ts';
import { hookContext } from './hook-context.ts';

/** A sandbox as the kit drives it. Each call of `start` gives a fresh one with a known diary. */
export interface ConformanceSandbox<C extends Record<string, unknown>> {
  /** Settings that connect to this sandbox, as a practice would type them. */
  connection: C;
  /** The practice's IANA zone the sandbox's diary is in. */
  timeZone: string;
  /** A window with free slots in it, and the slot types to ask for. */
  window: { from: Date; to: Date; slotTypeIds: string[] };
  /** The sandbox's own truth: ids of every slot of those types starting in the window. */
  slotIdsInWindow(): Promise<string[]>;
  /** Whether the sandbox's diary shows the slot booked. */
  isBooked(ehrSlotId: string): Promise<boolean>;
  /** A patient the sandbox can match. */
  patient: PatientDetails;
  /** Another patient the sandbox can match (to try a taken slot). */
  otherPatient: PatientDetails;
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
  start(): Promise<ConformanceSandbox<C>>;
}

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

export function ehrConformanceSuite<C extends Record<string, unknown>>(
  t: Test,
  subject: ConformanceSubject<C>,
): void {
  const { plugin } = subject;

  const withSandbox = async (tt: Test) => {
    const sandbox = await subject.start();
    tt.teardown(() => sandbox.stop());
    return { sandbox, ctx: contextFor(sandbox.connection, sandbox.timeZone) };
  };

  t.test(`${plugin.id}: the definition is accepted by the core`, async (tt) => {
    const registry = new EhrRegistry();
    tt.doesNotThrow(() => registry.register(plugin));
  });

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

  t.test(`${plugin.id}: checkSetup passes on a good sandbox`, async (tt) => {
    const { ctx } = await withSandbox(tt);
    const checks = await checkSetup(ctx);
    tt.ok(checks.length > 0);
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
    for (const id of sandbox.window.slotTypeIds) tt.ok(known.has(id), `slot type ${id} is in the catalogue`);
  });

  t.test(`${plugin.id}: onSlotFetch returns exactly the sandbox's slots for a window`, async (tt) => {
    const { sandbox, ctx } = await withSandbox(tt);
    const { from, to, slotTypeIds } = sandbox.window;
    const { slots } = await plugin.onSlotFetch(ctx, { from, to, slotTypeIds });
    tt.same(slots.map((s) => s.ehrSlotId).sort(), (await sandbox.slotIdsInWindow()).sort());
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
    const { slots } = await plugin.onSlotFetch(ctx, sandbox.window);
    const free = slots.find((s) => s.status === 'free');
    if (!free) throw new Error('the conformance window must hold a free slot');
    const booked = await plugin.onBookingWrite(ctx, {
      kind: 'book',
      bookingId: 'conformance-booking-1',
      slot: refOf(free),
      targetEhrSlotTypeId: null,
      patient: sandbox.patient,
      reason: 'Conformance check',
      note: null,
    });
    tt.ok(booked.ehrBookingRef.length > 0, 'an EHR reference is returned');
    tt.ok(await sandbox.isBooked(free.ehrSlotId), 'the sandbox diary shows it booked');

    // The same command again, as the core sends it when the first answer was lost: the plugin
    // finds its own booking rather than reporting the slot taken or booking a second time.
    const repeated = await plugin.onBookingWrite(ctx, {
      kind: 'book',
      bookingId: 'conformance-booking-1',
      slot: refOf(free),
      targetEhrSlotTypeId: null,
      patient: sandbox.patient,
      reason: 'Conformance check',
      note: null,
    });
    tt.equal(
      repeated.ehrBookingRef,
      booked.ehrBookingRef,
      'a repeated book command answers the same booking',
    );

    const taken = await rejection(
      plugin.onBookingWrite(ctx, {
        kind: 'book',
        bookingId: 'conformance-booking-2',
        slot: refOf(free),
        targetEhrSlotTypeId: null,
        patient: sandbox.otherPatient,
        reason: 'Conformance check',
        note: null,
        unregisteredSlotTypeId: null,
      }),
    );
    tt.type(taken, EhrError);
    tt.equal((taken as EhrError).kind, 'slot_taken');
    tt.ok(((taken as EhrError).fix ?? '').length > 10, 'slot_taken: with a fix from the error table');

    if (plugin.capabilities.cancel) {
      await plugin.onBookingWrite(ctx, {
        kind: 'cancel',
        bookingId: 'conformance-booking-1',
        slot: refOf(free),
        ehrBookingRef: booked.ehrBookingRef,
        patient: sandbox.patient,
        reason: null,
      });
      tt.notOk(await sandbox.isBooked(free.ehrSlotId), 'cancel frees the slot in the sandbox');
    } else {
      const refused = await rejection(
        plugin.onBookingWrite(ctx, {
          kind: 'cancel',
          bookingId: 'conformance-booking-1',
          slot: refOf(free),
          ehrBookingRef: booked.ehrBookingRef,
          patient: sandbox.patient,
          reason: null,
        }),
      );
      tt.type(refused, EhrError);
      tt.equal((refused as EhrError).kind, 'unsupported', 'cancel is a typed "unsupported"');
      tt.ok(((refused as EhrError).fix ?? '').length > 10, 'unsupported: with a fix from the error table');
      tt.ok(await sandbox.isBooked(free.ehrSlotId), 'and nothing was written: still booked');
    }
  });

  t.test(`${plugin.id}: an outage is a typed transient error`, async (tt) => {
    for (const operation of ['fetch', 'write'] as const) {
      const { sandbox, ctx } = await withSandbox(tt);
      const { slots } = await plugin.onSlotFetch(ctx, sandbox.window);
      const free = slots.find((s) => s.status === 'free')!;
      await sandbox.injectOutage(operation);
      const error = await rejection(
        operation === 'fetch'
          ? plugin.onSlotFetch(ctx, sandbox.window)
          : plugin.onBookingWrite(ctx, {
              kind: 'book',
              bookingId: 'conformance-outage',
              slot: refOf(free),
              targetEhrSlotTypeId: null,
              patient: sandbox.patient,
              reason: 'Conformance check',
              note: null,
              unregisteredSlotTypeId: null,
            }),
      );
      tt.type(error, EhrError, `${operation}: an EhrError`);
      tt.equal((error as EhrError).kind, 'transient', `${operation}: transient, so the core retries`);
      tt.match((error as EhrError).code, /^[A-Z0-9]+_ERR_[A-Z0-9_]+$/, `${operation}: with a stable code`);
      tt.ok(((error as EhrError).fix ?? '').length > 10, `${operation}: with a fix from the error table`);
    }
  });

  t.test(`${plugin.id}: mapSlotType answers the practice's table for every slot type`, async (tt) => {
    const { ctx } = await withSandbox(tt);
    const registry = new EhrRegistry();
    registry.register(plugin);
    const catalogue = await plugin.discover(ctx);
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
          ehrPractitionerId: catalogue.practitioners[0]!.ehrId,
          ehrLocationId: catalogue.locations[0]!.ehrId,
          ehrSlotTypeId: slotType.ehrId,
          startAt: at,
          endAt: new Date(at.getTime() + 600_000),
        },
        slotTypeMappings,
      });
      const row = slotTypeMappings.find((m) => m.ehrSlotTypeId === slotType.ehrId)!;
      if (!plugin.mapSlotType) {
        // The core's own mapping: exactly the practice's table.
        tt.same(
          mapping,
          { feature: row.feature, appointmentTypeId: row.appointmentTypeId },
          `${slotType.name}: the table's mapping, ${row.feature}`,
        );
        continue;
      }
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
