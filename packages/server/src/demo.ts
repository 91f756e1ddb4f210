/**
 * The demo started by `npm start`: for each loaded plugin whose `/sandbox` export offers a demo
 * practice (core's StartDemoSandbox), its in-process sandbox with a realistic diary, and a demo
 * practice connected to it over real HTTP, set up from the sandbox's own catalogue (booking-side entities named after the EHR's, mapped 1:1; bookable
 * slot types offered under an appointment type of the same name; the unregistered-patient type
 * reserved). Idempotent: a restart reuses the practices and points them at the new sandboxes.
 */
import {
  type BookingFeatureRow,
  type Caller,
  type DemoSandbox,
  type PatientDetails,
  type Slotbridge,
  type SlotTypeFeatureRow,
  type StartDemoSandbox,
  type SyncRun,
  secretFields,
} from '@slotbridge/core';

export const DEMO_PARTNER_NAME = 'Demo partner';

export interface DemoPractice {
  practiceId: string;
  name: string;
  ehr: string;
  /** The base URL of the sandbox's HTTP control surface (its diary: /_sandbox/diary?date=…). */
  sandboxUrl: string;
  /** A fictional patient the sandbox's EHR matches, to try a booking with. */
  patient: PatientDetails;
  sync: SyncRun;
}

/**
 * The console's exercise (docs/console.md): a second practice on the first demo sandbox, left for
 * a practice manager to set up in the console — the booking side's practitioners, locations and
 * appointment types are there, nothing is mapped, and the connection was saved with a stray
 * space after each secret, so its set-up checks fail until it is typed again.
 */
export interface DemoExercise {
  practiceId: string;
  name: string;
  ehr: string;
  /** The secrets the sandbox accepts (its setting name → value), to type in the console. */
  secrets: Record<string, string>;
}

export interface Demo {
  partnerId: string;
  /** A fresh key for the demo partner, printed at each start (the previous one is revoked). */
  partnerKey: string;
  practices: DemoPractice[];
  /** Null when no plugin offers a demo sandbox. */
  exercise: DemoExercise | null;
  close(): Promise<void>;
}

async function demoPartner(slotbridge: Slotbridge): Promise<string> {
  const existing = await slotbridge.db
    .selectFrom('partners')
    .select('id')
    .where('name', '=', DEMO_PARTNER_NAME)
    .executeTakeFirst();
  return existing?.id ?? (await slotbridge.apiKeys.createPartner(DEMO_PARTNER_NAME)).id;
}

async function rotateDemoKey(slotbridge: Slotbridge, partnerId: string): Promise<string> {
  const previous = await slotbridge.db
    .selectFrom('api_keys')
    .select('id')
    .where('partner_id', '=', partnerId)
    .where('label', '=', 'demo')
    .where('revoked_at', 'is', null)
    .execute();
  // Through ApiKeys, so a key this process has verified stops working at once.
  for (const { id } of previous) await slotbridge.apiKeys.revoke(id);
  return (await slotbridge.apiKeys.issuePartnerKey(partnerId, 'demo')).key;
}

/** Sets a practice up from its EHR catalogue, as a practice manager would in the four stages. */
export async function setUpFromCatalogue(
  slotbridge: Slotbridge,
  caller: Caller,
  practiceId: string,
): Promise<void> {
  const practice = await slotbridge.practices.get(caller, practiceId);
  const already = await slotbridge.db
    .selectFrom('practitioners')
    .select('id')
    .where('practice_id', '=', practiceId)
    .executeTakeFirst();
  if (already) return;
  await slotbridge.ehrCatalogue.discover(caller, practice);
  const catalogue = {
    practitioners: await slotbridge.ehrCatalogue.list(practice, 'practitioner'),
    locations: await slotbridge.ehrCatalogue.list(practice, 'location'),
    slotTypes: await slotbridge.ehrCatalogue.list(practice, 'slot_type'),
  };
  const { mappings } = slotbridge;
  const practitioners = [];
  for (const entry of catalogue.practitioners) {
    const id = await slotbridge.catalogue.addPractitioner(practice, entry.name);
    practitioners.push({ practitionerId: id, ehrPractitionerId: entry.ehrId });
  }
  await mappings.putPractitioners(caller, practice, practitioners);
  const locations = [];
  for (const entry of catalogue.locations) {
    const id = await slotbridge.catalogue.addLocation(practice, entry.name);
    locations.push({ locationId: id, ehrLocationId: entry.ehrId });
  }
  await mappings.putLocations(caller, practice, locations);

  const features: SlotTypeFeatureRow[] = [];
  const bookingFeatures: BookingFeatureRow[] = [];
  const active: string[] = [];
  for (const entry of catalogue.slotTypes) {
    if (/unregistered/i.test(entry.name)) {
      features.push({ ehrSlotTypeId: entry.ehrId, feature: 'unregistered_patient', appointmentTypeId: null });
      active.push(entry.ehrId);
    } else if (entry.attributes.bookable === true) {
      const typeId = await slotbridge.catalogue.addAppointmentType(practice, entry.name, 10);
      features.push({ ehrSlotTypeId: entry.ehrId, feature: 'bookable', appointmentTypeId: typeId });
      bookingFeatures.push({ appointmentTypeId: typeId, ehrSlotTypeId: entry.ehrId });
      active.push(entry.ehrId);
    } else {
      features.push({ ehrSlotTypeId: entry.ehrId, feature: 'not_bookable', appointmentTypeId: null });
    }
  }
  await mappings.putSlotTypeFeatures(caller, practice, features);
  await mappings.putBookingFeatures(caller, practice, bookingFeatures);
  await mappings.putActiveSlotTypes(caller, practice, active);
}

async function demoPractice(
  slotbridge: Slotbridge,
  caller: Caller,
  spec: {
    name: string;
    ehr: string;
    odsCode: string | null;
    timeZone: string;
    connection: Record<string, unknown>;
  },
): Promise<string> {
  const existing = await slotbridge.db
    .selectFrom('practices')
    .select('id')
    .where('partner_id', '=', caller.partnerId!)
    .where('name', '=', spec.name)
    .executeTakeFirst();
  const practice = existing
    ? await slotbridge.practices.get(caller, existing.id)
    : await slotbridge.practices.create(caller, {
        name: spec.name,
        ehr: spec.ehr,
        odsCode: spec.odsCode,
        timeZone: spec.timeZone,
      });
  // The sandbox listens on a new port at each start: point the connection at it.
  await slotbridge.connections.put(caller, practice, spec.connection);
  await setUpFromCatalogue(slotbridge, caller, practice.id);
  return practice.id;
}

/** The suffix that names the exercise practice beside its ready twin. */
const EXERCISE_SUFFIX = ' — to set up in the console';

/**
 * The exercise practice (DemoExercise), created beside the first ready demo practice. At a
 * restart it keeps what the practice manager did (mappings, and the secrets they typed), and only
 * points the connection at the new sandbox.
 */
async function exercisePractice(
  slotbridge: Slotbridge,
  caller: Caller,
  ready: { practiceId: string; ehr: string; sandbox: DemoSandbox },
): Promise<DemoExercise> {
  const { sandbox, ehr } = ready;
  const name = `${sandbox.practiceName}${EXERCISE_SUFFIX}`;
  const schema = slotbridge.ehr.get(ehr).connectionSchema;
  const secretNames = secretFields(schema);
  const secrets = Object.fromEntries(
    secretNames
      .filter((key) => typeof sandbox.connection[key] === 'string')
      .map((key) => [key, sandbox.connection[key] as string]),
  );
  const existing = await slotbridge.db
    .selectFrom('practices')
    .select('id')
    .where('partner_id', '=', caller.partnerId!)
    .where('name', '=', name)
    .executeTakeFirst();
  if (existing) {
    const practice = await slotbridge.practices.get(caller, existing.id);
    const stored = (await slotbridge.connections.context(practice)).connection;
    const kept = Object.fromEntries(
      secretNames.filter((key) => key in stored).map((key) => [key, stored[key]]),
    );
    await slotbridge.connections.put(caller, practice, { ...sandbox.connection, ...kept }, { force: true });
    return { practiceId: practice.id, name, ehr, secrets };
  }
  const practice = await slotbridge.practices.create(caller, {
    name,
    ehr,
    odsCode: sandbox.odsCode,
    timeZone: sandbox.timeZone,
  });
  const twin = await slotbridge.practices.get(caller, ready.practiceId);
  const { catalogue } = slotbridge;
  for (const p of await catalogue.list(twin, 'practitioner'))
    await catalogue.addPractitioner(practice, p.name);
  for (const l of await catalogue.list(twin, 'location')) await catalogue.addLocation(practice, l.name);
  for (const t of await catalogue.list(twin, 'appointment_type')) {
    await catalogue.addAppointmentType(practice, t.name, t.durationMinutes);
  }
  // The classic mistake of seed 002: a space after the password, pasted from somewhere.
  const mistyped = Object.fromEntries(Object.entries(secrets).map(([key, value]) => [key, `${value} `]));
  await slotbridge.connections.put(caller, practice, { ...sandbox.connection, ...mistyped }, { force: true });
  return { practiceId: practice.id, name, ehr, secrets };
}

/** A loaded plugin as the demo sees it (plugins.ts's LoadedPlugin). */
export interface DemoPlugin {
  /** The plugin's EHR id. */
  id: string;
  /** From its `/sandbox` export; null: served, but no demo practice. */
  startDemoSandbox: StartDemoSandbox | null;
}

/** Starts the plugins' demo sandboxes in order; stops those started when one fails. */
async function startSandboxes(
  plugins: readonly DemoPlugin[],
): Promise<{ ehr: string; sandbox: DemoSandbox }[]> {
  const started: { ehr: string; sandbox: DemoSandbox }[] = [];
  try {
    for (const plugin of plugins) {
      if (plugin.startDemoSandbox) started.push({ ehr: plugin.id, sandbox: await plugin.startDemoSandbox() });
    }
  } catch (error) {
    await Promise.allSettled(started.map((s) => s.sandbox.close()));
    throw error;
  }
  return started;
}

/**
 * A demo practice per loaded plugin whose `/sandbox` export offers one (startDemoSandbox), in
 * the plugins' order; the demo knows no plugin by name.
 */
export async function startDemo(slotbridge: Slotbridge, plugins: readonly DemoPlugin[]): Promise<Demo> {
  const partnerId = await demoPartner(slotbridge);
  const partnerKey = await rotateDemoKey(slotbridge, partnerId);
  const caller = (await slotbridge.apiKeys.authenticate(partnerKey))!;
  const sandboxes = await startSandboxes(plugins.filter((p) => slotbridge.ehr.has(p.id)));
  const practices: DemoPractice[] = [];
  let exercise: DemoExercise | null = null;
  for (const { ehr, sandbox } of sandboxes) {
    const practiceId = await demoPractice(slotbridge, caller, {
      name: sandbox.practiceName,
      ehr,
      odsCode: sandbox.odsCode,
      timeZone: sandbox.timeZone,
      connection: sandbox.connection,
    });
    const practice = await slotbridge.practices.get(caller, practiceId);
    const sync = await slotbridge.sync.run(practice, 'startup');
    practices.push({
      practiceId,
      name: practice.name,
      ehr,
      sandboxUrl: sandbox.sandboxUrl,
      patient: sandbox.patient,
      sync,
    });
    exercise ??= await exercisePractice(slotbridge, caller, { practiceId, ehr, sandbox });
  }
  return {
    partnerId,
    partnerKey,
    practices,
    exercise,
    async close() {
      await Promise.all(sandboxes.map((s) => s.sandbox.close()));
    },
  };
}
