/**
 * The sandbox's in-memory SystmOne: the organisation (users with their approval of the device,
 * sites, clinic types, slot types with whether third parties may book them), patients, clinics
 * with their slots, and appointments. Dates and times are practice-local wall-clock
 * (`yyyy-mm-dd`, `HH:mm`; `yyyy-MM-ddTHH:mm:ss` on the wire), as SystmOne keeps them: the diary
 * never converts to instants, so a 09:00 clinic stays 09:00 across the clocks changing.
 *
 * Slots have no id on the wire. The diary numbers clinics and slots (`clinicRef`, `slotRef`) for
 * the control surface only; the API names a slot by its clinic, slot type, start and duration.
 * Refs and AppointmentUIDs are counters, so a diary seeded the same way has the same ones.
 */
import type {
  PatientSearchCriteria,
  WireClinic,
  WireOrganisation,
  WirePatient,
  WireSlot,
} from '../client-integration-api.ts';
import { SandboxError, sandboxMessages } from './sandbox-error.ts';

export interface SandboxUser {
  /** How SystmOne names the user in clinics, e.g. `AHart`. */
  userName: string;
  fullName: string;
  role: string;
  /** Has this user clicked Approve for the slotbridge device? */
  deviceApproved: boolean;
}

export interface SandboxSlotType {
  name: string;
  /** Slot type set-up: may third parties (online booking products) book it? */
  bookableByThirdParties: boolean;
}

export interface SandboxPatient {
  /** 10 digits; null for a record without one (e.g. a temporary resident not yet traced). */
  nhsNumber: string | null;
  title: string;
  firstName: string;
  surname: string;
  /** yyyy-mm-dd */
  dateOfBirth: string;
}

export const APPOINTMENT_STATUSES = [
  'Booked',
  'Arrived',
  'In Consultation',
  'Finished',
  'Did Not Attend',
  'Cancelled',
] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

export interface SlotSeed {
  /** HH:mm, practice-local. */
  time: string;
  slotType: string;
  /** Minutes; default the clinic's `slotMinutes`. */
  duration?: number;
  blocked?: boolean;
  /** Booked (at reception) for this patient. */
  nhsNumber?: string;
  comments?: string;
}

export interface ClinicSeed {
  userName: string;
  siteName: string;
  clinicType: string;
  /** yyyy-mm-dd, practice-local. */
  date: string;
  /** The slots, each given; or, when absent, free slots from `startTime` to `endTime` cycling `slotTypes`. */
  slots?: SlotSeed[];
  startTime?: string;
  endTime?: string;
  slotMinutes?: number;
  slotTypes?: string[];
}

export interface DiarySeed {
  organisation?: { name: string; odsCode: string };
  users: SandboxUser[];
  sites: string[];
  clinicTypes: string[];
  slotTypes: SandboxSlotType[];
  patients: SandboxPatient[];
  clinics: ClinicSeed[];
}

/** A slot as the control surface shows it: the patient by NHS number only. */
export interface DiarySlot {
  slotRef: number;
  clinicRef: number;
  /** yyyy-MM-ddTHH:mm:ss, as GetAppointmentSlots writes it. */
  dateTimeStart: string;
  duration: number;
  slotType: string;
  state: 'free' | 'blocked' | 'booked';
  appointmentUid: string | null;
  nhsNumber: string | null;
}

export interface DiaryClinic {
  clinicRef: number;
  userName: string;
  siteName: string;
  clinicType: string;
  date: string;
  slots: DiarySlot[];
}

export interface DiaryAppointment {
  appointmentUid: string;
  nhsNumber: string;
  slotRef: number;
  status: AppointmentStatus;
  comments: string;
  /** Who made it: through the API, or reception in SystmOne. */
  bookedBy: 'api' | 'reception';
}

/** A slot as UpdatePatientRecord names it. */
export interface SlotAddress {
  userName: string;
  siteName: string;
  clinicType: string;
  slotType: string;
  dateTimeStart: string;
  duration: number;
}

interface StoredClinic {
  clinicRef: number;
  userName: string;
  siteName: string;
  clinicType: string;
  date: string;
  /** Its slots, by time. */
  slots: StoredSlot[];
}

interface StoredSlot {
  slotRef: number;
  clinicRef: number;
  time: string;
  duration: number;
  slotType: string;
  blocked: boolean;
  /** The live (not cancelled) appointment in the slot. */
  appointmentUid: string | null;
}

const DEFAULT_ORGANISATION = { name: 'Riverside Medical Practice', odsCode: 'A81001' };
const IN_PROGRESS: readonly AppointmentStatus[] = [
  'Arrived',
  'In Consultation',
  'Finished',
  'Did Not Attend',
];

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return hours! * 60 + minutes!;
}

function timeOf(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

function appointmentUidOf(counter: number): string {
  return `5e1a0000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
}

function sameWords(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

export class SystmOneDiary {
  #organisation = { ...DEFAULT_ORGANISATION };
  readonly #users = new Map<string, SandboxUser>();
  readonly #sites = new Set<string>();
  readonly #clinicTypes = new Set<string>();
  readonly #slotTypes = new Map<string, SandboxSlotType>();
  readonly #patients: SandboxPatient[] = [];
  readonly #clinics = new Map<number, StoredClinic>();
  readonly #slots = new Map<number, StoredSlot>();
  readonly #appointments = new Map<string, DiaryAppointment>();
  #nextClinicRef = 1;
  #nextSlotRef = 1;
  #nextAppointment = 1;

  /** Empties the diary and loads `seed` into it. */
  seed(seed: DiarySeed): void {
    this.clear();
    this.#organisation = { ...(seed.organisation ?? DEFAULT_ORGANISATION) };
    for (const user of seed.users) this.#users.set(user.userName, { ...user });
    for (const site of seed.sites) this.#sites.add(site);
    for (const clinicType of seed.clinicTypes) this.#clinicTypes.add(clinicType);
    for (const slotType of seed.slotTypes) this.#slotTypes.set(slotType.name, { ...slotType });
    for (const patient of seed.patients) this.#patients.push({ ...patient });
    for (const clinic of seed.clinics) this.addClinic(clinic);
  }

  clear(): void {
    this.#organisation = { ...DEFAULT_ORGANISATION };
    for (const collection of [
      this.#users,
      this.#sites,
      this.#clinicTypes,
      this.#slotTypes,
      this.#clinics,
      this.#slots,
      this.#appointments,
    ]) {
      collection.clear();
    }
    this.#patients.length = 0;
    this.#nextClinicRef = 1;
    this.#nextSlotRef = 1;
    this.#nextAppointment = 1;
  }

  /** Adds one clinic with its slots (booked ones become reception appointments); answers its ref. */
  addClinic(seed: ClinicSeed): number {
    const invalid = (why: string) => new SandboxError('CLINIC_INVALID', why);
    if (!this.#users.has(seed.userName)) throw invalid(`Unknown user ${seed.userName}`);
    if (!this.#sites.has(seed.siteName)) throw invalid(`Unknown site ${seed.siteName}`);
    if (!this.#clinicTypes.has(seed.clinicType)) throw invalid(`Unknown clinic type ${seed.clinicType}`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(seed.date)) throw invalid(`Clinic date ${seed.date} is not yyyy-mm-dd`);
    const slots = seed.slots ?? this.#fillSlots(seed);
    for (const slot of slots) {
      if (!this.#slotTypes.has(slot.slotType)) throw invalid(`Unknown slot type ${slot.slotType}`);
      if (!/^\d{2}:\d{2}$/.test(slot.time)) throw invalid(`Slot time ${slot.time} is not HH:mm`);
      if (slot.nhsNumber !== undefined && !this.#patientByNhsNumber(slot.nhsNumber)) {
        throw invalid(`Unknown patient ${slot.nhsNumber}`);
      }
    }
    const clinicRef = this.#nextClinicRef++;
    const clinic: StoredClinic = {
      clinicRef,
      userName: seed.userName,
      siteName: seed.siteName,
      clinicType: seed.clinicType,
      date: seed.date,
      slots: [],
    };
    this.#clinics.set(clinicRef, clinic);
    for (const slot of slots) {
      const slotRef = this.#nextSlotRef++;
      const stored: StoredSlot = {
        slotRef,
        clinicRef,
        time: slot.time,
        duration: slot.duration ?? seed.slotMinutes ?? 10,
        slotType: slot.slotType,
        blocked: slot.blocked ?? false,
        appointmentUid: null,
      };
      this.#slots.set(slotRef, stored);
      clinic.slots.push(stored);
      if (slot.nhsNumber !== undefined) {
        this.#book(slotRef, slot.nhsNumber, slot.comments ?? 'Booked at reception', 'reception');
      }
    }
    clinic.slots.sort((a, b) => a.time.localeCompare(b.time) || a.slotRef - b.slotRef);
    return clinicRef;
  }

  #fillSlots(seed: ClinicSeed): SlotSeed[] {
    const types = seed.slotTypes ?? [];
    const minutes = seed.slotMinutes ?? 10;
    if (types.length === 0 || seed.startTime === undefined || seed.endTime === undefined) return [];
    const slots: SlotSeed[] = [];
    for (let m = minutesOf(seed.startTime); m + minutes <= minutesOf(seed.endTime); m += minutes) {
      slots.push({ time: timeOf(m), slotType: types[slots.length % types.length]! });
    }
    return slots;
  }

  // ---- Client Integration API reads ---------------------------------------------------------

  /** The user logged in on the gateway PC, if the organisation has one by that name. */
  user(userName: string): SandboxUser | undefined {
    const user = this.#users.get(userName);
    return user && { ...user };
  }

  organisation(): WireOrganisation {
    return {
      OrganisationName: this.#organisation.name,
      ODSCode: this.#organisation.odsCode,
      User: [...this.#users.values()].map((user) => ({
        UserName: user.userName,
        FullName: user.fullName,
        Role: user.role,
      })),
      Site: [...this.#sites].map((site) => ({ SiteName: site })),
      SlotType: [...this.#slotTypes.values()].map((slotType) => ({
        Name: slotType.name,
        BookableByThirdParties: slotType.bookableByThirdParties ? 'true' : 'false',
      })),
    };
  }

  /**
   * The free slots of slot types bookable by third parties that start between the two
   * wall-clock date-times (both included), grouped by clinic. Booked, blocked and
   * not-third-party-bookable slots are never listed.
   */
  freeSlots(minDateTime: string, maxDateTime: string): WireClinic[] {
    const clinics: WireClinic[] = [];
    for (const clinic of this.#sortedClinics()) {
      const slots: WireSlot[] = clinic.slots
        .filter((slot) => this.#isFree(slot) && this.#slotTypes.get(slot.slotType)!.bookableByThirdParties)
        .map((slot) => ({
          SlotType: slot.slotType,
          DateTimeStart: this.#dateTimeStart(slot),
          Duration: String(slot.duration),
        }))
        .filter((slot) => slot.DateTimeStart >= minDateTime && slot.DateTimeStart <= maxDateTime);
      if (slots.length === 0) continue;
      clinics.push({
        UserName: clinic.userName,
        SiteName: clinic.siteName,
        ClinicType: clinic.clinicType,
        Slot: slots,
      });
    }
    return clinics;
  }

  /**
   * Patients matching every criterion given; at least two must be given, or the NHS number alone
   * (it names one record: *modelled*).
   */
  searchPatients(criteria: PatientSearchCriteria): WirePatient[] {
    const given = Object.entries(criteria).filter(([, value]) => value !== undefined && value.trim() !== '');
    const nhsNumberAlone = given.length === 1 && given[0]![0] === 'NHSNumber';
    if (given.length < 2 && !nhsNumberAlone)
      throw new SandboxError('SEARCH_CRITERIA', sandboxMessages.searchCriteria());
    return this.#patients
      .filter(
        (patient) =>
          (criteria.NHSNumber === undefined || patient.nhsNumber === criteria.NHSNumber.replace(/\s/g, '')) &&
          (criteria.DateOfBirth === undefined || patient.dateOfBirth === criteria.DateOfBirth.trim()) &&
          (criteria.Surname === undefined || sameWords(patient.surname, criteria.Surname)) &&
          (criteria.FirstName === undefined ||
            sameWords(patient.firstName, criteria.FirstName) ||
            sameWords(patient.firstName.split(/\s+/)[0]!, criteria.FirstName)),
      )
      .map((patient) => ({
        NHSNumber: patient.nhsNumber ?? '',
        Title: patient.title,
        FirstName: patient.firstName,
        Surname: patient.surname,
        DateOfBirth: patient.dateOfBirth,
      }));
  }

  // ---- Client Integration API writes --------------------------------------------------------

  /** UpdatePatientRecord NonClinical/Appointment: books the addressed slot; answers the AppointmentUID. */
  bookThroughApi(nhsNumber: string, address: SlotAddress, comments: string): string {
    this.#requirePatient(nhsNumber);
    const slot = this.#slotAt(address);
    if (slot === undefined || !this.#isFree(slot)) {
      throw new SandboxError('SLOT_NOT_AVAILABLE', sandboxMessages.slotNotAvailable());
    }
    if (!this.#slotTypes.get(slot.slotType)!.bookableByThirdParties) {
      throw new SandboxError('SLOT_TYPE_NOT_BOOKABLE', sandboxMessages.slotTypeNotBookable(slot.slotType));
    }
    return this.#book(slot.slotRef, nhsNumber, comments, 'api');
  }

  /** UpdatePatientRecord NonClinical/AppointmentStatus: cancels the patient's appointment. */
  cancelThroughApi(nhsNumber: string, appointmentUid: string): void {
    this.#requirePatient(nhsNumber);
    const appointment = this.#appointments.get(appointmentUid);
    if (appointment === undefined || appointment.nhsNumber !== nhsNumber) {
      throw new SandboxError('APPOINTMENT_NOT_FOUND', sandboxMessages.appointmentNotFound(appointmentUid));
    }
    this.#cancel(appointment);
  }

  // ---- reception (control surface) ----------------------------------------------------------

  /** Reception books a patient into a free slot from SystmOne itself (any slot type). */
  receptionBook(slotRef: number, nhsNumber: string, comments = 'Booked at reception'): string {
    const slot = this.#slot(slotRef);
    this.#requirePatient(nhsNumber);
    if (!this.#isFree(slot)) throw new SandboxError('SLOT_NOT_AVAILABLE', sandboxMessages.slotNotAvailable());
    return this.#book(slotRef, nhsNumber, comments, 'reception');
  }

  /** Reception cancels an appointment. */
  receptionCancel(appointmentUid: string): void {
    this.#cancel(this.#appointment(appointmentUid));
  }

  /** Reception moves an appointment to another free slot (the AppointmentUID stays). */
  moveAppointment(appointmentUid: string, toSlotRef: number): void {
    const appointment = this.#appointment(appointmentUid);
    if (appointment.status === 'Cancelled') {
      throw new SandboxError('APPOINTMENT_CANCELLED', sandboxMessages.appointmentCancelled(appointmentUid));
    }
    const to = this.#slot(toSlotRef);
    if (!this.#isFree(to)) throw new SandboxError('SLOT_NOT_AVAILABLE', sandboxMessages.slotNotAvailable());
    this.#slot(appointment.slotRef).appointmentUid = null;
    to.appointmentUid = appointmentUid;
    appointment.slotRef = toSlotRef;
  }

  /** Reception blocks a free slot, or unblocks it. */
  setSlotBlocked(slotRef: number, blocked: boolean): void {
    const slot = this.#slot(slotRef);
    if (slot.appointmentUid !== null) {
      throw new SandboxError('SLOT_NOT_AVAILABLE', sandboxMessages.slotNotAvailable());
    }
    slot.blocked = blocked;
  }

  /** Reception moves an appointment along: Arrived, In Consultation, Finished, Did Not Attend. */
  setAppointmentStatus(appointmentUid: string, status: Exclude<AppointmentStatus, 'Cancelled'>): void {
    const appointment = this.#appointment(appointmentUid);
    if (appointment.status === 'Cancelled') {
      throw new SandboxError('APPOINTMENT_CANCELLED', sandboxMessages.appointmentCancelled(appointmentUid));
    }
    appointment.status = status;
  }

  // ---- set-up flags (control surface) -------------------------------------------------------

  /** The user clicks Approve for the device (or the approval is withdrawn). */
  setDeviceApproved(userName: string, approved: boolean): void {
    const user = this.#users.get(userName);
    if (!user) throw new SandboxError('USER_NOT_FOUND', `No user ${userName}`);
    user.deviceApproved = approved;
  }

  /** The slot type's "bookable by third parties" set-up. */
  setSlotTypeBookable(name: string, bookableByThirdParties: boolean): void {
    const slotType = this.#slotTypes.get(name);
    if (!slotType) throw new SandboxError('SLOT_TYPE_NOT_FOUND', `No slot type ${name}`);
    slotType.bookableByThirdParties = bookableByThirdParties;
  }

  // ---- reads (control surface) --------------------------------------------------------------

  /** The day's clinics with every slot, patients by NHS number only. */
  day(date: string): DiaryClinic[] {
    return this.#sortedClinics()
      .filter((clinic) => clinic.date === date)
      .map((clinic) => ({
        clinicRef: clinic.clinicRef,
        userName: clinic.userName,
        siteName: clinic.siteName,
        clinicType: clinic.clinicType,
        date: clinic.date,
        slots: clinic.slots.map((slot) => this.#diarySlot(slot)),
      }));
  }

  /** One slot; undefined when there is none. */
  slot(slotRef: number): DiarySlot | undefined {
    const slot = this.#slots.get(slotRef);
    return slot && this.#diarySlot(slot);
  }

  /** One appointment (cancelled ones too); undefined when there is none. */
  appointment(appointmentUid: string): DiaryAppointment | undefined {
    const appointment = this.#appointments.get(appointmentUid);
    return appointment && { ...appointment };
  }

  /** Every appointment, oldest first. */
  appointments(): DiaryAppointment[] {
    return [...this.#appointments.values()].map((appointment) => ({ ...appointment }));
  }

  /** The clinic of a slot (what the API names it by). */
  addressOf(slotRef: number): SlotAddress {
    const slot = this.#slot(slotRef);
    const clinic = this.#clinics.get(slot.clinicRef)!;
    return {
      userName: clinic.userName,
      siteName: clinic.siteName,
      clinicType: clinic.clinicType,
      slotType: slot.slotType,
      dateTimeStart: this.#dateTimeStart(slot),
      duration: slot.duration,
    };
  }

  // ---- internals ----------------------------------------------------------------------------

  /** Clinics by date, then first slot time, then ref. */
  #sortedClinics(): StoredClinic[] {
    return [...this.#clinics.values()].sort(
      (a, b) =>
        a.date.localeCompare(b.date) ||
        (a.slots[0]?.time ?? '').localeCompare(b.slots[0]?.time ?? '') ||
        a.clinicRef - b.clinicRef,
    );
  }

  #dateTimeStart(slot: StoredSlot): string {
    return `${this.#clinics.get(slot.clinicRef)!.date}T${slot.time}:00`;
  }

  #isFree(slot: StoredSlot): boolean {
    return !slot.blocked && slot.appointmentUid === null;
  }

  #slotAt(address: SlotAddress): StoredSlot | undefined {
    return [...this.#slots.values()].find((slot) => {
      const clinic = this.#clinics.get(slot.clinicRef)!;
      return (
        clinic.userName === address.userName &&
        clinic.siteName === address.siteName &&
        clinic.clinicType === address.clinicType &&
        slot.slotType === address.slotType &&
        slot.duration === address.duration &&
        this.#dateTimeStart(slot) === address.dateTimeStart
      );
    });
  }

  #diarySlot(slot: StoredSlot): DiarySlot {
    const appointment =
      slot.appointmentUid === null ? undefined : this.#appointments.get(slot.appointmentUid);
    return {
      slotRef: slot.slotRef,
      clinicRef: slot.clinicRef,
      dateTimeStart: this.#dateTimeStart(slot),
      duration: slot.duration,
      slotType: slot.slotType,
      state: appointment ? 'booked' : slot.blocked ? 'blocked' : 'free',
      appointmentUid: slot.appointmentUid,
      nhsNumber: appointment?.nhsNumber ?? null,
    };
  }

  #book(
    slotRef: number,
    nhsNumber: string,
    comments: string,
    bookedBy: DiaryAppointment['bookedBy'],
  ): string {
    const appointmentUid = appointmentUidOf(this.#nextAppointment++);
    this.#appointments.set(appointmentUid, {
      appointmentUid,
      nhsNumber,
      slotRef,
      status: 'Booked',
      comments,
      bookedBy,
    });
    this.#slots.get(slotRef)!.appointmentUid = appointmentUid;
    return appointmentUid;
  }

  #cancel(appointment: DiaryAppointment): void {
    const uid = appointment.appointmentUid;
    if (appointment.status === 'Cancelled') {
      throw new SandboxError('APPOINTMENT_CANCELLED', sandboxMessages.appointmentCancelled(uid));
    }
    if (IN_PROGRESS.includes(appointment.status)) {
      throw new SandboxError(
        'APPOINTMENT_IN_PROGRESS',
        sandboxMessages.appointmentInProgress(uid, appointment.status),
      );
    }
    appointment.status = 'Cancelled';
    this.#slots.get(appointment.slotRef)!.appointmentUid = null;
  }

  #slot(slotRef: number): StoredSlot {
    const slot = this.#slots.get(slotRef);
    if (!slot) throw new SandboxError('SLOT_NOT_FOUND', sandboxMessages.slotNotFound(slotRef));
    return slot;
  }

  #appointment(appointmentUid: string): DiaryAppointment {
    const appointment = this.#appointments.get(appointmentUid);
    if (!appointment) {
      throw new SandboxError('APPOINTMENT_NOT_FOUND', sandboxMessages.appointmentNotFound(appointmentUid));
    }
    return appointment;
  }

  #patientByNhsNumber(nhsNumber: string): SandboxPatient | undefined {
    return this.#patients.find((patient) => patient.nhsNumber === nhsNumber);
  }

  #requirePatient(nhsNumber: string): void {
    if (!this.#patientByNhsNumber(nhsNumber)) {
      throw new SandboxError('PATIENT_NOT_FOUND', sandboxMessages.patientNotFound());
    }
  }
}
