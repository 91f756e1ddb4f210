/**
 * The sandbox's in-memory appointment book: sites, session holders, slot types, sessions with
 * their slots, and patients. Dates are practice-local calendar dates (`yyyy-mm-dd` inside,
 * `dd/mm/yyyy` on the wire) and times are practice-local wall-clock `HH:mm`, as EMIS Web keeps
 * them: the diary never converts to instants, so a 09:00 session stays 09:00 across the clocks
 * changing. Ids are counters, so a diary seeded the same way has the same ids.
 */
import type {
  AppointmentConfiguration,
  AppointmentSession,
  BookedAppointment,
  MatchedPatient,
  PatientAppointment,
  SessionSlot,
  SessionSlotV2,
  SlotStatusWord,
} from '../partner-api.ts';
import { SandboxError } from './sandbox-error.ts';

export interface SandboxSite {
  dbid: number;
  name: string;
}

export interface SandboxHolder {
  dbid: number;
  title: string;
  firstNames: string;
  lastName: string;
}

export interface SandboxSlotType {
  id: string;
  description: string;
  /** The short name EMIS shows in the appointment book. */
  display: string;
  /** Can a partner application book this slot type? (EMIS Appts config → slot type → bookable). */
  bookable: boolean;
  /** Is the slot type offered to patients through EMIS's own online services? */
  emisAccess: boolean;
}

export interface SandboxPatient {
  patientNumber: number;
  title: string;
  firstNames: string;
  familyName: string;
  /** yyyy-mm-dd */
  dateOfBirth: string;
  nhsNumber: string | null;
  sex: 'M' | 'F' | 'U';
}

export interface SandboxHoliday {
  description: string;
  /** yyyy-mm-dd */
  day: string;
  startTime: string;
  endTime: string;
}

export interface SlotSeed {
  dbid?: number;
  /** HH:mm */
  startTime: string;
  slotTypeId: string;
  status?: SlotStatusWord;
  patientNumber?: number;
  reason?: string;
  notes?: string;
}

export interface SessionSeed {
  dbid?: number;
  name: string;
  /** yyyy-mm-dd, the practice's local date. */
  date: string;
  /** HH:mm, practice-local wall-clock time. */
  startTime: string;
  endTime: string;
  /** Minutes. */
  slotLength: number;
  siteId: number;
  holderIds: number[];
  /** The slots, each given. When absent, the session is filled with free slots of `slotTypeIds`, cycled. */
  slots?: SlotSeed[];
  slotTypeIds?: string[];
}

export interface DiarySeed {
  sites: SandboxSite[];
  holders: SandboxHolder[];
  slotTypes: SandboxSlotType[];
  patients: SandboxPatient[];
  sessions: SessionSeed[];
  practiceHolidays?: SandboxHoliday[];
  staffHolidays?: { holderId: number; dates: SandboxHoliday[] }[];
}

interface StoredSession {
  dbid: number;
  name: string;
  date: string;
  startTime: string;
  endTime: string;
  slotLength: number;
  siteId: number;
  holderIds: number[];
}

interface StoredSlot {
  dbid: number;
  sessionId: number;
  startTime: string;
  slotLength: number;
  slotTypeId: string;
  status: SlotStatusWord;
  patientNumber: number | null;
  reason: string;
  notes: string;
}

/** One slot as the control surface lists it: the patient by number only. */
export interface DiarySlot {
  slotId: number;
  startTime: string;
  slotLength: number;
  slotTypeId: string;
  status: SlotStatusWord;
  patientNumber: number | null;
}

export interface DiarySession {
  sessionId: number;
  name: string;
  date: string;
  startTime: string;
  endTime: string;
  siteId: number;
  holderIds: number[];
  slots: DiarySlot[];
}

export const BOOKED_STATUSES: readonly SlotStatusWord[] = ['Booked', 'Arrived', 'Send In', 'Left', 'DNA'];

const FIRST_SESSION_ID = 1001;
const FIRST_SLOT_ID = 100001;

/** yyyy-mm-dd → dd/mm/yyyy */
export function toWireDate(isoDate: string): string {
  const [year, month, day] = isoDate.split('-');
  return `${day}/${month}/${year}`;
}

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return hours! * 60 + minutes!;
}

function timeOf(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

function searchWord(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}/-]/gu, '');
}

export class EmisDiary {
  readonly #sites = new Map<number, SandboxSite>();
  readonly #holders = new Map<number, SandboxHolder>();
  readonly #slotTypes = new Map<string, SandboxSlotType>();
  readonly #patients = new Map<number, SandboxPatient>();
  readonly #sessions = new Map<number, StoredSession>();
  readonly #slots = new Map<number, StoredSlot>();
  #practiceHolidays: SandboxHoliday[] = [];
  #staffHolidays: { holderId: number; dates: SandboxHoliday[] }[] = [];
  #nextSessionId = FIRST_SESSION_ID;
  #nextSlotId = FIRST_SLOT_ID;
  /**
   * Every appointment booked through the Partner API (BookAppointment), oldest first, even one
   * whose answer was lost: a test counts the writes per slot (never two for one booking).
   */
  readonly appointmentsBooked: { slotId: number; patientNumber: number }[] = [];

  /** Empties the diary and loads `seed` into it. */
  seed(seed: DiarySeed): void {
    this.clear();
    for (const site of seed.sites) this.#sites.set(site.dbid, { ...site });
    for (const holder of seed.holders) this.#holders.set(holder.dbid, { ...holder });
    for (const slotType of seed.slotTypes) {
      // BookedAppointmentType carries slotTypeId as an integer, so slot type ids are digits.
      if (!/^\d+$/.test(slotType.id))
        throw new SandboxError('INVALID_PARAMETER', `Slot type id ${slotType.id} is not digits`);
      this.#slotTypes.set(slotType.id, { ...slotType });
    }
    for (const patient of seed.patients) this.#patients.set(patient.patientNumber, { ...patient });
    this.#practiceHolidays = [...(seed.practiceHolidays ?? [])];
    this.#staffHolidays = [...(seed.staffHolidays ?? [])];
    for (const session of seed.sessions) this.addSession(session);
  }

  clear(): void {
    for (const map of [
      this.#sites,
      this.#holders,
      this.#slotTypes,
      this.#patients,
      this.#sessions,
      this.#slots,
    ]) {
      map.clear();
    }
    this.#practiceHolidays = [];
    this.#staffHolidays = [];
    this.#nextSessionId = FIRST_SESSION_ID;
    this.#nextSlotId = FIRST_SLOT_ID;
    this.appointmentsBooked.length = 0;
  }

  /** Appts config → Slot type → Add. */
  addSlotType(slotType: SandboxSlotType): SandboxSlotType {
    if (!/^\d+$/.test(slotType.id))
      throw new SandboxError('INVALID_PARAMETER', `Slot type id ${slotType.id} is not digits`);
    if (this.#slotTypes.has(slotType.id))
      throw new SandboxError('INVALID_PARAMETER', `Slot type ${slotType.id} already exists`);
    this.#slotTypes.set(slotType.id, { ...slotType });
    return { ...slotType };
  }

  /** Appts config → Slot type: rename it, make it bookable or not, offer it online or not. */
  updateSlotType(id: string, patch: Partial<Omit<SandboxSlotType, 'id'>>): SandboxSlotType {
    const slotType = this.#slotTypes.get(id);
    if (!slotType) throw new SandboxError('SLOT_TYPE_NOT_FOUND', `Unknown slot type ${id}`);
    Object.assign(slotType, patch);
    return { ...slotType };
  }

  /** Appts config → Slot type → Delete; refused while a slot has the type. */
  removeSlotType(id: string): void {
    if (!this.#slotTypes.has(id)) throw new SandboxError('SLOT_TYPE_NOT_FOUND', `Unknown slot type ${id}`);
    if ([...this.#slots.values()].some((slot) => slot.slotTypeId === id)) {
      throw new SandboxError('INVALID_PARAMETER', `Slot type ${id} is in use by slots`);
    }
    this.#slotTypes.delete(id);
  }

  /** Adds one session with its slots; answers the session's id. */
  addSession(seed: SessionSeed): number {
    if (!this.#sites.has(seed.siteId))
      throw new SandboxError('INVALID_PARAMETER', `Unknown site ${seed.siteId}`);
    for (const holderId of seed.holderIds) {
      if (!this.#holders.has(holderId))
        throw new SandboxError('INVALID_PARAMETER', `Unknown holder ${holderId}`);
    }
    const dbid = seed.dbid ?? this.#nextSessionId;
    if (this.#sessions.has(dbid))
      throw new SandboxError('INVALID_PARAMETER', `Session ${dbid} already exists`);
    this.#nextSessionId = Math.max(this.#nextSessionId, dbid + 1);
    this.#sessions.set(dbid, {
      dbid,
      name: seed.name,
      date: seed.date,
      startTime: seed.startTime,
      endTime: seed.endTime,
      slotLength: seed.slotLength,
      siteId: seed.siteId,
      holderIds: [...seed.holderIds],
    });
    for (const slot of seed.slots ?? this.#fillSlots(seed)) this.#addSlot(dbid, seed.slotLength, slot);
    return dbid;
  }

  #fillSlots(seed: SessionSeed): SlotSeed[] {
    const types = seed.slotTypeIds ?? [];
    if (types.length === 0) return [];
    const slots: SlotSeed[] = [];
    for (
      let m = minutesOf(seed.startTime);
      m + seed.slotLength <= minutesOf(seed.endTime);
      m += seed.slotLength
    ) {
      slots.push({ startTime: timeOf(m), slotTypeId: types[slots.length % types.length]! });
    }
    return slots;
  }

  #addSlot(sessionId: number, slotLength: number, seed: SlotSeed): void {
    if (!this.#slotTypes.has(seed.slotTypeId)) {
      throw new SandboxError('SLOT_TYPE_NOT_FOUND', `Unknown slot type ${seed.slotTypeId}`);
    }
    const status = seed.status ?? (seed.patientNumber === undefined ? 'Slot Available' : 'Booked');
    if (seed.patientNumber !== undefined && !this.#patients.has(seed.patientNumber)) {
      throw new SandboxError('PATIENT_NOT_FOUND', `Unknown patient ${seed.patientNumber}`);
    }
    if (BOOKED_STATUSES.includes(status) !== (seed.patientNumber !== undefined)) {
      throw new SandboxError(
        'INVALID_PARAMETER',
        `A ${status} slot ${seed.patientNumber === undefined ? 'needs' : 'cannot have'} a patient`,
      );
    }
    const dbid = seed.dbid ?? this.#nextSlotId;
    if (this.#slots.has(dbid)) throw new SandboxError('INVALID_PARAMETER', `Slot ${dbid} already exists`);
    this.#nextSlotId = Math.max(this.#nextSlotId, dbid + 1);
    this.#slots.set(dbid, {
      dbid,
      sessionId,
      startTime: seed.startTime,
      slotLength,
      slotTypeId: seed.slotTypeId,
      status,
      patientNumber: seed.patientNumber ?? null,
      reason: seed.reason ?? '',
      notes: seed.notes ?? '',
    });
  }

  // ---- Partner API reads -------------------------------------------------------------------

  configuration(startDate: string, endDate: string): AppointmentConfiguration {
    const inRange = (holiday: SandboxHoliday) => holiday.day >= startDate && holiday.day <= endDate;
    const wireHoliday = (holiday: SandboxHoliday) => ({ ...holiday, day: toWireDate(holiday.day) });
    const schedules = new Map<string, AppointmentConfiguration['scheduleList'][number]>();
    for (const session of this.#sessionsBetween(startDate, endDate)) {
      const key = `${session.name}|${session.startTime}|${session.endTime}|${session.slotLength}`;
      schedules.set(key, {
        name: session.name,
        startTime: session.startTime,
        endTime: session.endTime,
        slotLength: String(session.slotLength),
      });
    }
    return {
      siteList: [...this.#sites.values()].map((site) => ({
        dbid: site.dbid,
        refID: site.dbid,
        name: site.name,
      })),
      holderList: [...this.#holders.values()].map((holder) => ({
        dbid: holder.dbid,
        refID: holder.dbid,
        title: holder.title,
        firstNames: holder.firstNames,
        surname: holder.lastName,
      })),
      scheduleList: [...schedules.values()],
      holidayList: {
        practice: this.#practiceHolidays.filter(inRange).map(wireHoliday),
        staff: this.#staffHolidays
          .map(({ holderId, dates }) => ({
            holder: this.#holders.get(holderId)!,
            dates: dates.filter(inRange),
          }))
          .filter(({ dates }) => dates.length > 0)
          .map(({ holder, dates }) => ({
            dbid: holder.dbid,
            refID: holder.dbid,
            title: holder.title,
            firstNames: holder.firstNames,
            surname: holder.lastName,
            dates: dates.map(wireHoliday),
          })),
      },
      slotTypeList: [...this.#slotTypes.values()].map((type) => ({
        id: type.id,
        display: type.display,
        description: type.description,
        bookable: type.bookable ? 'true' : 'false',
        emisAccess: type.emisAccess ? 'true' : 'false',
      })),
    };
  }

  /** Sessions dated startDate..endDate (inclusive), those holding `slotType` when given. */
  sessions(startDate: string, endDate: string, slotType: string | null): AppointmentSession[] {
    return this.#sessionsBetween(startDate, endDate)
      .map((session) => this.#wireSession(session))
      .filter(
        (session) => slotType === null || session.slotTypeList.some((count) => count.typeID === slotType),
      );
  }

  slotsForSession(sessionId: number): SessionSlot[] {
    if (!this.#sessions.has(sessionId))
      throw new SandboxError('SESSION_NOT_FOUND', `No session ${sessionId}`);
    return this.#slotsOf(sessionId).map((slot) => this.#wireSlot(slot));
  }

  /** The patient's appointments (booked-like slots) in sessions dated startDate..endDate. */
  patientAppointments(patientNumber: number, startDate: string, endDate: string): PatientAppointment[] {
    this.#patient(patientNumber);
    return this.#sessionsBetween(startDate, endDate).flatMap((session) =>
      this.#slotsOf(session.dbid)
        .filter((slot) => slot.patientNumber === patientNumber)
        .map((slot) => ({
          slotID: slot.dbid,
          siteID: session.siteId,
          date: toWireDate(session.date),
          startTime: slot.startTime,
          duration: String(slot.slotLength),
          notes: slot.notes,
          reason: slot.reason,
          sessionName: session.name,
          sessionDBID: session.dbid,
          holderList: session.holderIds.map((id) => {
            const holder = this.#holders.get(id)!;
            return {
              dbid: holder.dbid,
              refID: holder.dbid,
              title: holder.title,
              firstNames: holder.firstNames,
              lastName: holder.lastName,
            };
          }),
          status: slot.status,
        })),
    );
  }

  /** The session holders, who are also the organisation's staff in GetOrganisation. */
  holders(): SandboxHolder[] {
    return [...this.#holders.values()].map((holder) => ({ ...holder }));
  }

  /**
   * Patients matching every term: each term (case-insensitive) must equal the date of birth
   * (dd/mm/yyyy), the NHS number, or one word of the names.
   */
  matchPatients(matchedTerms: string): MatchedPatient[] {
    const terms = matchedTerms.split(/\s+/).map(searchWord).filter(Boolean);
    if (terms.length === 0) throw new SandboxError('INVALID_PARAMETER', 'matchedTerms is empty');
    return [...this.#patients.values()]
      .filter((patient) => {
        const words = new Set(
          [toWireDate(patient.dateOfBirth), patient.nhsNumber ?? '', patient.firstNames, patient.familyName]
            .flatMap((field) => field.split(/\s+/))
            .map(searchWord),
        );
        return terms.every((term) => words.has(term));
      })
      .sort((a, b) => a.patientNumber - b.patientNumber)
      .map((patient) => ({
        dbid: String(patient.patientNumber),
        refID: String(patient.patientNumber),
        guid: `00000000-0000-4000-a000-${String(patient.patientNumber).padStart(12, '0')}`,
        dateOfBirth: toWireDate(patient.dateOfBirth),
        sex: patient.sex,
        familyName: patient.familyName,
        callingName: patient.firstNames.split(' ')[0]!,
        firstNames: patient.firstNames,
        title: patient.title,
        nhsNumber: patient.nhsNumber ?? '',
      }));
  }

  // ---- Partner API writes ------------------------------------------------------------------

  book(input: {
    slotId: number;
    patientNumber: number;
    reason: string;
    bookingNote: string;
  }): BookedAppointment {
    const slot = this.#slot(input.slotId);
    this.#patient(input.patientNumber);
    if (slot.status !== 'Slot Available') {
      throw new SandboxError('SLOT_NOT_AVAILABLE', `Slot ${slot.dbid} is not available (${slot.status})`);
    }
    slot.status = 'Booked';
    slot.patientNumber = input.patientNumber;
    slot.reason = input.reason;
    slot.notes = input.bookingNote;
    return this.#bookedAppointment(slot, input.patientNumber);
  }

  /** BookAppointment, logged in appointmentsBooked. */
  bookAppointment(input: {
    slotId: number;
    patientNumber: number;
    reason: string;
    bookingNote: string;
  }): BookedAppointment {
    const booked = this.book(input);
    this.appointmentsBooked.push({ slotId: input.slotId, patientNumber: input.patientNumber });
    return booked;
  }

  cancel(slotId: number, patientNumber: number): BookedAppointment {
    const slot = this.#slot(slotId);
    this.#patient(patientNumber);
    if (slot.patientNumber !== patientNumber) {
      throw new SandboxError(
        'APPOINTMENT_NOT_FOUND',
        `Patient ${patientNumber} is not booked in slot ${slotId}`,
      );
    }
    if (slot.status !== 'Booked') {
      throw new SandboxError(
        'SLOT_NOT_AVAILABLE',
        `The appointment in slot ${slotId} is ${slot.status} and can no longer be cancelled`,
      );
    }
    const cancelled = this.#bookedAppointment(slot, patientNumber);
    this.#free(slot);
    return cancelled;
  }

  /** SetSlotType: the slot type and the booking note, each when given. */
  setSlotType(slotId: number, slotTypeId: string | null, bookingNote: string | null): void {
    const slot = this.#slot(slotId);
    if (slotTypeId !== null && !this.#slotTypes.has(slotTypeId))
      throw new SandboxError('SLOT_TYPE_NOT_FOUND', `Unknown slot type ${slotTypeId}`);
    if (slotTypeId !== null) slot.slotTypeId = slotTypeId;
    if (bookingNote !== null) slot.notes = bookingNote;
  }

  /** SetSlotNotes: replaces the slot's notes (empty clears them); answers the slot as it now is. */
  setSlotNotes(slotId: number, notes: string): SessionSlotV2 {
    const slot = this.#slot(slotId);
    slot.notes = notes;
    return { ...this.#wireSlot(slot), commentList: [] };
  }

  // ---- Reception (control surface) ---------------------------------------------------------

  /** Reception books a patient in from EMIS Web itself. */
  receptionBook(slotId: number, patientNumber: number, reason: string): void {
    this.book({ slotId, patientNumber, reason, bookingNote: '' });
  }

  /** Reception cancels whatever appointment the slot holds. */
  receptionCancel(slotId: number): void {
    const slot = this.#slot(slotId);
    if (slot.patientNumber === null)
      throw new SandboxError('APPOINTMENT_NOT_FOUND', `Slot ${slotId} holds no appointment`);
    this.#free(slot);
  }

  /** Reception moves the appointment in one slot to another, free, slot. */
  moveBooking(fromSlotId: number, toSlotId: number): void {
    const from = this.#slot(fromSlotId);
    const to = this.#slot(toSlotId);
    if (from.patientNumber === null)
      throw new SandboxError('APPOINTMENT_NOT_FOUND', `Slot ${fromSlotId} holds no appointment`);
    if (to.status !== 'Slot Available')
      throw new SandboxError('SLOT_NOT_AVAILABLE', `Slot ${toSlotId} is ${to.status}`);
    Object.assign(to, {
      status: from.status,
      patientNumber: from.patientNumber,
      reason: from.reason,
      notes: from.notes,
    });
    this.#free(from);
  }

  /** Reception blocks or embargoes a free slot, or frees a blocked/embargoed one. */
  setSlotAvailability(slotId: number, status: 'Blocked' | 'Embargoed' | 'Slot Available'): void {
    const slot = this.#slot(slotId);
    if (slot.patientNumber !== null)
      throw new SandboxError('SLOT_NOT_AVAILABLE', `Slot ${slotId} is ${slot.status}`);
    slot.status = status;
  }

  /** Reception moves a booked appointment along: Arrived, Send In, Left, DNA. */
  setAppointmentStatus(slotId: number, status: 'Booked' | 'Arrived' | 'Send In' | 'Left' | 'DNA'): void {
    const slot = this.#slot(slotId);
    if (slot.patientNumber === null)
      throw new SandboxError('APPOINTMENT_NOT_FOUND', `Slot ${slotId} holds no appointment`);
    slot.status = status;
  }

  deleteSession(sessionId: number): void {
    if (!this.#sessions.delete(sessionId))
      throw new SandboxError('SESSION_NOT_FOUND', `No session ${sessionId}`);
    for (const slot of this.#slots.values()) if (slot.sessionId === sessionId) this.#slots.delete(slot.dbid);
  }

  /** The day's sessions and slots, patients by number only. */
  day(date: string): DiarySession[] {
    return this.#sessionsBetween(date, date).map((session) => ({
      sessionId: session.dbid,
      name: session.name,
      date: session.date,
      startTime: session.startTime,
      endTime: session.endTime,
      siteId: session.siteId,
      holderIds: [...session.holderIds],
      slots: this.#slotsOf(session.dbid).map((slot) => ({
        slotId: slot.dbid,
        startTime: slot.startTime,
        slotLength: slot.slotLength,
        slotTypeId: slot.slotTypeId,
        status: slot.status,
        patientNumber: slot.patientNumber,
      })),
    }));
  }

  /** The slot's state, patient by number only; undefined when there is no such slot. */
  slot(slotId: number): (DiarySlot & { sessionId: number }) | undefined {
    const slot = this.#slots.get(slotId);
    if (!slot) return undefined;
    const { dbid, sessionId, startTime, slotLength, slotTypeId, status, patientNumber } = slot;
    return { slotId: dbid, sessionId, startTime, slotLength, slotTypeId, status, patientNumber };
  }

  // ---- internals ---------------------------------------------------------------------------

  #sessionsBetween(startDate: string, endDate: string): StoredSession[] {
    return [...this.#sessions.values()]
      .filter((session) => session.date >= startDate && session.date <= endDate)
      .sort(
        (a, b) => a.date.localeCompare(b.date) || a.startTime.localeCompare(b.startTime) || a.dbid - b.dbid,
      );
  }

  #slotsOf(sessionId: number): StoredSlot[] {
    return [...this.#slots.values()]
      .filter((slot) => slot.sessionId === sessionId)
      .sort((a, b) => a.startTime.localeCompare(b.startTime) || a.dbid - b.dbid);
  }

  #slot(slotId: number): StoredSlot {
    const slot = this.#slots.get(slotId);
    if (!slot) throw new SandboxError('SLOT_NOT_FOUND', `No slot ${slotId}`);
    return slot;
  }

  #patient(patientNumber: number): SandboxPatient {
    const patient = this.#patients.get(patientNumber);
    if (!patient) throw new SandboxError('PATIENT_NOT_FOUND', `No patient ${patientNumber}`);
    return patient;
  }

  #free(slot: StoredSlot): void {
    Object.assign(slot, { status: 'Slot Available', patientNumber: null, reason: '', notes: '' });
  }

  #wireSession(session: StoredSession): AppointmentSession {
    const site = this.#sites.get(session.siteId)!;
    const counts = new Map<string, AppointmentSession['slotTypeList'][number]>();
    for (const slot of this.#slotsOf(session.dbid)) {
      const count = counts.get(slot.slotTypeId) ?? {
        typeID: slot.slotTypeId,
        description: this.#slotTypes.get(slot.slotTypeId)!.description,
        total: 0,
        booked: 0,
        blocked: 0,
        embargoed: 0,
        available: 0,
      };
      count.total += 1;
      if (BOOKED_STATUSES.includes(slot.status)) count.booked += 1;
      else if (slot.status === 'Blocked') count.blocked += 1;
      else if (slot.status === 'Embargoed') count.embargoed += 1;
      else count.available += 1;
      counts.set(slot.slotTypeId, count);
    }
    return {
      dbid: session.dbid,
      name: session.name,
      date: toWireDate(session.date),
      startTime: session.startTime,
      endTime: session.endTime,
      slotLength: String(session.slotLength),
      slotTypeList: [...counts.values()],
      site: { dbid: site.dbid, name: site.name },
      holderList: session.holderIds.map((id) => {
        const holder = this.#holders.get(id)!;
        return {
          dbid: holder.dbid,
          refID: holder.dbid,
          title: holder.title,
          firstNames: holder.firstNames,
          lastName: holder.lastName,
        };
      }),
    };
  }

  #wireSlot(slot: StoredSlot): SessionSlot {
    const patient = slot.patientNumber === null ? undefined : this.#patients.get(slot.patientNumber)!;
    return {
      dbid: slot.dbid,
      refID: slot.dbid,
      startTime: slot.startTime,
      slotLength: String(slot.slotLength),
      type: { typeID: slot.slotTypeId, description: this.#slotTypes.get(slot.slotTypeId)!.description },
      status: slot.status,
      ...(patient && {
        patientList: {
          patient: {
            dbid: patient.patientNumber,
            refID: patient.patientNumber,
            title: patient.title,
            firstNames: patient.firstNames,
            surname: patient.familyName,
            fullName: `${patient.title} ${patient.firstNames} ${patient.familyName}`,
          },
        },
      }),
      notes: slot.notes,
      reason: slot.reason,
    };
  }

  #bookedAppointment(slot: StoredSlot, patientNumber: number): BookedAppointment {
    const session = this.#sessions.get(slot.sessionId)!;
    const patient = this.#patient(patientNumber);
    const date = toWireDate(session.date);
    return {
      appointmentInformation: {
        sessionId: session.dbid,
        slotId: slot.dbid,
        slotDateTime: `${date} ${slot.startTime}`,
        endDateTime: `${date} ${timeOf(minutesOf(slot.startTime) + slot.slotLength)}`,
        reason: slot.reason,
        bookingNotes: slot.notes,
        slotTypeId: Number(slot.slotTypeId),
      },
      patientInforamtion: {
        patientId: patient.patientNumber,
        patientNumber: patient.patientNumber,
        dob: toWireDate(patient.dateOfBirth),
        name: `${patient.familyName.toUpperCase()}, ${patient.firstNames} (${patient.title})`,
        hasPatientWarnings: 'false',
      },
    };
  }
}
