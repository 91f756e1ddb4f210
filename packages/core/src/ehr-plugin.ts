/**
 * The contract between the core and an EHR plugin. A plugin is one declared object
 * (`defineEhrPlugin({...})`) registered through a Fastify plugin (`ehrFastifyPlugin`).
 * Plugins import only these public types from `@slotbridge/core`, never each other.
 */
import type { TObject } from 'typebox';

/** The minimal logger a hook receives (a pino child logger in the server). */
export interface HookLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface PracticeInfo {
  id: string;
  name: string;
  odsCode: string | null;
  /** IANA time zone of the practice diary, e.g. Europe/London or Australia/Sydney. */
  timeZone: string;
}

/** What every hook receives: the practice, its decrypted connection settings, a logger. */
export interface EhrContext<C = Record<string, unknown>> {
  practice: PracticeInfo;
  connection: C;
  log: HookLogger;
  /** Aborted when the caller gives up (shutdown, request timeout). Pass it to fetch(). */
  signal: AbortSignal;
}

export interface EhrCapabilities {
  /** Can a booking be cancelled through the EHR's interface? */
  cancel: boolean;
  /** How far ahead slots are published, in days: the default and the most a practice may set. */
  publishingHorizonDays: { default: number; max: number };
  /**
   * The most calls a minute one connection may make to this EHR, on average (a minute's worth may
   * go at once). Every call made through `meterEhrCall` waits for it; a practice
   * may set a lower budget. The scheduler reads the near window often and the rest rarely within it.
   */
  callsPerMinute: number;
  /** The largest window one onSlotFetch call may be asked for, in days (EMIS: 90). */
  maxFetchWindowDays: number;
  /**
   * Does onSlotFetch return booked slots too, not only free ones? When it does, a slot of ours
   * that vanishes from an active slot type means the appointment is gone from the EHR diary.
   * Default false (SystmOne lists free slots only).
   */
  listsBookedSlots?: boolean;
}

/**
 * One step of what a practice manager does in the EHR before filling the connection form, in
 * their words (`EhrPluginDefinition.setupSteps`). Plain text only: no HTML, no markdown.
 */
export interface SetupStep {
  /** A short imperative heading, e.g. "Create a dedicated EMIS user". Unique within the plugin. */
  title: string;
  /** What to do, in plain text; it may hold line breaks (`\n`), each shown as a new line. */
  text: string;
  /** Optional: a caution shown highlighted beside the step, e.g. which password goes in the form. */
  warning?: string;
}

export interface SetupCheck {
  /** Stable id, e.g. `credentials.spaces`. */
  id: string;
  ok: boolean;
  severity: 'error' | 'warning';
  /** What was found, in the practice's words. */
  message: string;
  /** What the practice should do, in the practice's words (absent when ok). */
  fix?: string;
}

export interface EhrCatalogueEntry {
  ehrId: string;
  name: string;
  /**
   * Facts shown beside the entry. Never secrets. One is shared by every plugin: on a slot type,
   * `bookable: true` means the EHR lets partners book it. The rest are the plugin's own.
   */
  attributes?: Record<string, unknown>;
}

export interface EhrCatalogue {
  practitioners: EhrCatalogueEntry[];
  locations: EhrCatalogueEntry[];
  slotTypes: EhrCatalogueEntry[];
}

export interface SlotWindow {
  /** Inclusive start instant. */
  from: Date;
  /** Exclusive end instant. */
  to: Date;
  /** Only slots of these EHR slot types are wanted (the practice's active slot types). */
  slotTypeIds: string[];
  /**
   * When set, only these practitioners' slots are wanted (a refresh of one practitioner's day
   * after a booking). A plugin that can read less for it should; the core drops the others.
   */
  ehrPractitionerIds?: string[];
  /**
   * Sessions lying wholly inside this window whose slots the core holds as read when the EHR
   * summarised the session by this digest (session id → digest, from an earlier
   * `SlotFetchResult.sessionDigests`). A plugin that can summarise a session cheaply (EMIS: its
   * slot counts) need not read the slots of one whose digest is unchanged: it names it in
   * `unchangedSessions` and the core keeps what it holds. Absent on reads that must read every
   * slot (manual and start-up syncs).
   */
  knownSessions?: ReadonlyMap<string, string>;
}

/** Normalised slot status. `ehrStatus` keeps the EHR's own word. */
export type EhrSlotStatus = 'free' | 'booked' | 'unavailable';

export interface EhrSlot {
  /** The EHR's id of the slot, or a stable id the plugin derives when the EHR has none. */
  ehrSlotId: string;
  ehrSessionId: string | null;
  ehrPractitionerId: string | null;
  ehrLocationId: string | null;
  ehrSlotTypeId: string;
  startAt: Date;
  endAt: Date;
  status: EhrSlotStatus;
  /** The EHR's own status word, e.g. EMIS `Slot Available`, `Booked`, `Embargoed`. */
  ehrStatus: string;
}

export interface SlotFetchResult {
  slots: EhrSlot[];
  /**
   * Optional: a digest of each session lying wholly inside the window, whether its slots were
   * read or it is named unchanged. Equal digests must mean the session's slots are the same, as
   * far as the EHR's summary can tell; the core gives them back as `SlotWindow.knownSessions`.
   */
  sessionDigests?: Record<string, string>;
  /** Sessions of `knownSessions` whose digest is unchanged and whose slots were not read. */
  unchangedSessions?: string[];
}

/** The patient as the booking side knows them. Stored encrypted; never logged or returned. */
export interface PatientDetails {
  firstName: string;
  lastName: string;
  /** YYYY-MM-DD */
  dateOfBirth: string;
  nhsNumber?: string;
  /** The EHR's own patient id, when the booking side already knows it. */
  ehrPatientId?: string;
}

/** The slot a write is about, as last synced. */
export interface EhrSlotRef {
  ehrSlotId: string;
  ehrSessionId: string | null;
  ehrPractitionerId: string | null;
  ehrLocationId: string | null;
  ehrSlotTypeId: string;
  startAt: Date;
  endAt: Date;
}

export type BookingWriteCommand =
  | {
      kind: 'book';
      bookingId: string;
      slot: EhrSlotRef;
      /** The EHR slot type the booking should be written as (booking features); null: leave it. */
      targetEhrSlotTypeId: string | null;
      patient: PatientDetails;
      reason: string;
      note: string | null;
      /**
       * The practice's Unregistered Patient Booking slot type (seed 002), or null when none is
       * set. When the EHR cannot match the patient to exactly one record and this is set, the
       * plugin holds the slot with this slot type and a note (so the time is blocked) and
       * answers `heldForReconciliation: true`; without it, it throws patient_not_matched.
       */
      unregisteredSlotTypeId?: string | null;
    }
  | {
      kind: 'cancel';
      bookingId: string;
      slot: EhrSlotRef;
      /** What onBookingWrite returned when the booking was written. */
      ehrBookingRef: string;
      patient: PatientDetails;
      reason: string | null;
    };

export interface BookingWriteResult {
  /** The EHR's reference for the appointment (kept to cancel it later). */
  ehrBookingRef: string;
  /**
   * true: the patient could not be matched, so the slot is held with the unregistered-patient
   * slot type for the practice to book the right patient into; the booking awaits reconciliation.
   */
  heldForReconciliation?: boolean;
}

/** What mapSlotType answers for one EHR slot. */
export interface SlotTypeMapping {
  feature: 'bookable' | 'not_bookable' | 'unregistered_patient' | 'unmapped';
  /** The booking-side appointment type, null when none, 'disabled' when hidden from our diary. */
  appointmentTypeId: string | null | 'disabled';
}

/** The mapping tables a mapSlotType hook can read (the core's default reads only these). */
export interface SlotTypeMappingRow {
  ehrSlotTypeId: string;
  feature: 'bookable' | 'not_bookable' | 'unregistered_patient';
  appointmentTypeId: string | null | 'disabled';
}

export interface MapSlotTypeInput {
  slot: EhrSlotRef;
  slotTypeMappings: SlotTypeMappingRow[];
}

/** One finding of the availability diagnostics, in a practice manager's words. */
export interface DiagnosticCheck {
  /** Stable id, e.g. `slot_type_active`. */
  id: string;
  /** The question the check answers, e.g. "Is the slot type active?" */
  title: string;
  status: 'pass' | 'fail' | 'not_applicable';
  /** What was found. */
  evidence: string;
  /** What to do when it fails. */
  fix?: string;
}

/** What a plugin's diagnose hook is asked about: a date and the stored slots that match. */
export interface DiagnoseInput {
  /** Local date, YYYY-MM-DD. */
  date: string;
  ehrSlotTypeId?: string;
  ehrPractitionerId?: string;
  appointmentTypeId?: string;
  slots: EhrSlotRef[];
}

export interface EhrPluginDefinition<C extends Record<string, unknown> = Record<string, unknown>> {
  /** Stable id, lower-case, e.g. `emis`. Stored with every practice. */
  id: string;
  /** Human name, e.g. `EMIS Web`. */
  name: string;
  /**
   * TypeBox schema of the connection settings. Fields marked `writeOnly: true` are secrets:
   * encrypted at rest like the rest, and never returned by the API.
   */
  connectionSchema: TObject;
  capabilities: EhrCapabilities;
  /**
   * Optional: the steps a practice manager follows in the EHR before filling the connection
   * form, in order and in their words (where each setting is, what to tick, which value goes in
   * which field). Served by GET /v1/plugins for the console's set-up guide; none declared is an
   * empty list there. Each step has a non-empty title and text, and titles are unique.
   */
  setupSteps?: readonly SetupStep[];
  checkSetup(ctx: EhrContext<C>): Promise<SetupCheck[]>;
  discover(ctx: EhrContext<C>): Promise<EhrCatalogue>;
  onSlotFetch(ctx: EhrContext<C>, window: SlotWindow): Promise<SlotFetchResult>;
  onBookingWrite(ctx: EhrContext<C>, command: BookingWriteCommand): Promise<BookingWriteResult>;
  /** Optional: checks of this EHR's own for "why isn't this slot offered?" (e.g. HS1 stacking). */
  diagnose?(ctx: EhrContext<C>, input: DiagnoseInput): Promise<DiagnosticCheck[]>;
  /** Optional refinement of the core's mapping (the core's default reads the mapping tables). */
  mapSlotType?(
    ctx: EhrContext<C>,
    input: MapSlotTypeInput,
    next: () => Promise<SlotTypeMapping>,
  ): Promise<SlotTypeMapping>;
}

/** Declares an EHR plugin. Returns its argument, typed, so the definition is checked where it is written. */
export function defineEhrPlugin<C extends Record<string, unknown>>(
  definition: EhrPluginDefinition<C>,
): EhrPluginDefinition<C> {
  return definition;
}
