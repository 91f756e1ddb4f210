/**
 * The practice's own Exact server, in memory: Web Setup (Appointment Stacking, booking reasons
 * with their providers and durations), the Online Booking Configuration, providers with their
 * weekly working hours and breaks, named clinic blocks, patients and the appointment book.
 * Dates are practice-local `yyyy-mm-dd` and times wall-clock `HH:mm`, as Exact keeps them: the
 * server never converts to instants, so a 09:00 appointment stays 09:00 across the clocks
 * changing. Ids are counters, so a diary seeded the same way has the same ids.
 */
import { DateTime } from 'luxon';
import {
  APPOINTMENT_STATUSES,
  type AppointmentStatus,
  type BookableTime,
  type BookingReason,
  type Clinic,
  type CreateAppointmentRequest,
  type CreatedAppointment,
  type OnlineBookingProvider,
  type OnlineBookingSetup,
  type Provider,
  type Schedule,
  type ScheduledAppointment,
  type WorkingDay,
} from '../exact-api.ts';
import { SandboxError } from './sandbox-error.ts';

export interface WorkingHoursSeed {
  /** ISO weekday, 1 = Monday … 7 = Sunday. */
  weekday: number;
  start: string;
  end: string;
  breaks?: { start: string; end: string; label: string }[];
}

export interface SandboxProvider extends Provider {
  workingHours: WorkingHoursSeed[];
}

export interface SandboxPatient {
  id: string;
  firstName: string;
  lastName: string;
  /** yyyy-mm-dd */
  dateOfBirth: string;
}

export interface ClinicSeed {
  id?: string;
  providerId: string;
  date: string;
  start: string;
  end: string;
  name: string;
}

export interface AppointmentSeed {
  id?: string;
  providerId: string;
  date: string;
  startTime: string;
  durationMinutes: number;
  reasonId?: string | null;
  status?: AppointmentStatus;
  patientId?: string | null;
}

export interface PracticeSeed {
  practice: { id: string; name: string };
  /** Web Setup → Appointment Stacking. Default false, as in Exact. */
  appointmentStacking?: boolean;
  providers: SandboxProvider[];
  bookingReasons: BookingReason[];
  onlineBookingConfiguration: OnlineBookingProvider[];
  clinics?: ClinicSeed[];
  patients?: SandboxPatient[];
  appointments?: AppointmentSeed[];
}

/** An appointment as the control surface shows it: the patient by id only. */
export interface DiaryAppointment extends ScheduledAppointment {
  /** Every status the appointment has had, oldest first. */
  statusHistory: AppointmentStatus[];
  patientId: string | null;
  source: 'online' | 'reception';
  externalRef: string | null;
  note: string;
}

/** One appointment CreateAppointment inserted (a replay of its externalRef is not logged). */
export interface CreatedAppointmentLog {
  appointmentId: string;
  providerId: string;
  date: string;
  startTime: string;
  externalRef: string;
}

export interface DiaryDay {
  date: string;
  workingDays: WorkingDay[];
  clinics: Clinic[];
  appointments: DiaryAppointment[];
}

const FIRST_APPOINTMENT_ID = 50001;
const FIRST_CLINIC_ID = 801;
const FIRST_PATIENT_ID = 7001;

const TIME_PATTERN = /^([01]\d|2[0-3]):[0-5]\d$/;

function minutesOf(time: string): number {
  if (!TIME_PATTERN.test(time)) throw new SandboxError('INVALID_PARAMETER', `"${time}" is not a time HH:mm`);
  const [hours, minutes] = time.split(':').map(Number);
  return hours! * 60 + minutes!;
}

export function isIsoDate(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && DateTime.fromISO(text, { zone: 'UTC' }).isValid;
}

function requireDate(text: string, name: string): void {
  if (!isIsoDate(text))
    throw new SandboxError('INVALID_PARAMETER', `${name} must be yyyy-mm-dd, got "${text}"`);
}

function weekdayOf(date: string): number {
  return DateTime.fromISO(date, { zone: 'UTC' }).weekday;
}

function overlaps(aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  return aStart < bEnd && bStart < aEnd;
}

function holdsTime(status: AppointmentStatus): boolean {
  return status !== 'Cancelled';
}

function normalised(text: string): string {
  return text.trim().toLowerCase();
}

export class ExactPracticeServer {
  #practice = { id: '', name: '' };
  #appointmentStacking = false;
  readonly #providers = new Map<string, SandboxProvider>();
  readonly #reasons = new Map<string, BookingReason>();
  readonly #onlineBooking = new Map<string, OnlineBookingProvider>();
  readonly #clinics = new Map<string, Clinic>();
  readonly #patients = new Map<string, SandboxPatient>();
  readonly #appointments = new Map<string, DiaryAppointment>();
  /** One day's hours of a provider changed in the appointment book (`providerId|date`), over their weekly hours. */
  readonly #dayHours = new Map<string, { start: string; end: string }>();
  #nextAppointmentId = FIRST_APPOINTMENT_ID;
  #nextClinicId = FIRST_CLINIC_ID;
  #nextPatientId = FIRST_PATIENT_ID;

  /**
   * Every appointment CreateAppointment inserted, oldest first, even one whose answer was lost:
   * a test counts the writes per time (never two for one booking). A replay is not logged.
   */
  readonly appointmentsCreated: CreatedAppointmentLog[] = [];

  /** Empties the server and loads `seed` into it. */
  seed(seed: PracticeSeed): void {
    this.clear();
    this.#practice = { ...seed.practice };
    this.#appointmentStacking = seed.appointmentStacking ?? false;
    for (const provider of seed.providers) {
      for (const hours of provider.workingHours) {
        if (minutesOf(hours.start) >= minutesOf(hours.end)) {
          throw new SandboxError(
            'INVALID_PARAMETER',
            `Working hours of ${provider.id} end before they start`,
          );
        }
        for (const pause of hours.breaks ?? []) {
          if (minutesOf(pause.start) >= minutesOf(pause.end)) {
            throw new SandboxError('INVALID_PARAMETER', `A break of ${provider.id} ends before it starts`);
          }
        }
      }
      this.#providers.set(provider.id, structuredClone(provider));
    }
    for (const reason of seed.bookingReasons) this.putBookingReason(reason);
    for (const entry of seed.onlineBookingConfiguration) this.putOnlineBookingProvider(entry);
    for (const clinic of seed.clinics ?? []) this.addClinic(clinic);
    for (const patient of seed.patients ?? []) this.#patients.set(patient.id, { ...patient });
    for (const appointment of seed.appointments ?? []) this.receptionBook(appointment);
  }

  clear(): void {
    this.#practice = { id: '', name: '' };
    this.#appointmentStacking = false;
    for (const map of [
      this.#providers,
      this.#reasons,
      this.#onlineBooking,
      this.#clinics,
      this.#patients,
      this.#appointments,
      this.#dayHours,
    ]) {
      map.clear();
    }
    this.#nextAppointmentId = FIRST_APPOINTMENT_ID;
    this.#nextClinicId = FIRST_CLINIC_ID;
    this.#nextPatientId = FIRST_PATIENT_ID;
    this.appointmentsCreated.length = 0;
  }

  get practice(): { id: string; name: string } {
    return { ...this.#practice };
  }

  // ---- Web Setup and the Online Booking Configuration ----------------------------------------

  get appointmentStacking(): boolean {
    return this.#appointmentStacking;
  }

  setAppointmentStacking(on: boolean): void {
    this.#appointmentStacking = on;
  }

  /** Adds or replaces a booking reason (Web Setup → +1, or Configure Providers). */
  putBookingReason(reason: BookingReason): void {
    for (const link of reason.providers) {
      if (!this.#providers.has(link.providerId)) {
        throw new SandboxError('PROVIDER_NOT_FOUND', `No provider ${link.providerId}`);
      }
      if (!(Number.isInteger(link.durationMinutes) && link.durationMinutes > 0)) {
        throw new SandboxError(
          'INVALID_PARAMETER',
          'A reason duration is a positive whole number of minutes',
        );
      }
    }
    this.#reasons.set(reason.id, structuredClone(reason));
  }

  deleteBookingReason(id: string): void {
    if (!this.#reasons.delete(id)) throw new SandboxError('REASON_NOT_FOUND', `No booking reason ${id}`);
  }

  /** Adds or replaces a provider's line in the Online Booking Configuration. */
  putOnlineBookingProvider(entry: OnlineBookingProvider): void {
    if (!this.#providers.has(entry.providerId)) {
      throw new SandboxError('PROVIDER_NOT_FOUND', `No provider ${entry.providerId}`);
    }
    for (const field of ['durationMinutes', 'intervalMinutes', 'daysAhead'] as const) {
      if (!(Number.isInteger(entry[field]) && entry[field] > 0)) {
        throw new SandboxError('INVALID_PARAMETER', `${field} is a positive whole number`);
      }
    }
    this.#onlineBooking.set(entry.providerId, structuredClone(entry));
  }

  removeOnlineBookingProvider(providerId: string): void {
    if (!this.#onlineBooking.delete(providerId)) {
      throw new SandboxError(
        'PROVIDER_NOT_ONLINE',
        `${providerId} is not in the Online Booking Configuration`,
      );
    }
  }

  setup(serverTime: string): OnlineBookingSetup {
    return {
      serverTime,
      practice: this.practice,
      appointmentStacking: this.#appointmentStacking,
      providers: [...this.#providers.values()].map(({ workingHours: _hours, ...provider }) => provider),
      onlineBookingConfiguration: structuredClone([...this.#onlineBooking.values()]),
      bookingReasons: structuredClone([...this.#reasons.values()]),
    };
  }

  // ---- the appointment book ------------------------------------------------------------------

  addClinic(seed: ClinicSeed): string {
    requireDate(seed.date, 'date');
    if (!this.#providers.has(seed.providerId)) {
      throw new SandboxError('PROVIDER_NOT_FOUND', `No provider ${seed.providerId}`);
    }
    if (minutesOf(seed.start) >= minutesOf(seed.end)) {
      throw new SandboxError('INVALID_PARAMETER', 'A clinic ends after it starts');
    }
    const id = seed.id ?? `CL${this.#nextClinicId++}`;
    this.#clinics.set(id, { ...seed, id });
    return id;
  }

  /**
   * Reception changes one day's working hours of a provider (no breaks that day); null goes back
   * to their weekly hours. Any date, however far ahead.
   */
  setWorkingDay(providerId: string, date: string, hours: { start: string; end: string } | null): void {
    requireDate(date, 'date');
    if (!this.#providers.has(providerId))
      throw new SandboxError('PROVIDER_NOT_FOUND', `No provider ${providerId}`);
    if (hours === null) {
      this.#dayHours.delete(`${providerId}|${date}`);
      return;
    }
    if (minutesOf(hours.start) >= minutesOf(hours.end)) {
      throw new SandboxError('INVALID_PARAMETER', `Working hours of ${providerId} end before they start`);
    }
    this.#dayHours.set(`${providerId}|${date}`, { start: hours.start, end: hours.end });
  }

  /** The provider's working hours on `date` (that day's changed hours, else their weekly hours), or null. */
  workingDay(providerId: string, date: string): WorkingDay | null {
    const provider = this.#providers.get(providerId);
    const changed = provider && this.#dayHours.get(`${providerId}|${date}`);
    if (changed) return { providerId, date, start: changed.start, end: changed.end, breaks: [] };
    const hours = provider?.workingHours.find((h) => h.weekday === weekdayOf(date));
    if (!hours) return null;
    return {
      providerId,
      date,
      start: hours.start,
      end: hours.end,
      breaks: structuredClone(hours.breaks ?? []),
    };
  }

  schedule(from: string, to: string, serverTime: string): Schedule {
    const dates: string[] = [];
    for (
      let day = DateTime.fromISO(from, { zone: 'UTC' });
      day.toISODate()! <= to;
      day = day.plus({ days: 1 })
    ) {
      dates.push(day.toISODate()!);
    }
    const workingDays = dates.flatMap((date) =>
      [...this.#providers.keys()]
        .map((providerId) => this.workingDay(providerId, date))
        .filter((day): day is WorkingDay => day !== null),
    );
    const inRange = (date: string) => date >= from && date <= to;
    return {
      serverTime,
      from,
      to,
      workingDays,
      clinics: [...this.#clinics.values()].filter((c) => inRange(c.date)).map((c) => ({ ...c })),
      appointments: [...this.#appointments.values()]
        .filter((a) => inRange(a.date))
        .map(({ id, providerId, date, startTime, durationMinutes, reasonId, status }) => ({
          id,
          providerId,
          date,
          startTime,
          durationMinutes,
          reasonId,
          status,
        })),
    };
  }

  /** The time is inside the provider's working hours (not across a break) and no appointment holds it. */
  #isFree(providerId: string, date: string, start: number, end: number, ignoreId?: string): boolean {
    const day = this.workingDay(providerId, date);
    if (!day || start < minutesOf(day.start) || end > minutesOf(day.end)) return false;
    if (day.breaks.some((b) => overlaps(start, end, minutesOf(b.start), minutesOf(b.end)))) return false;
    return ![...this.#appointments.values()].some(
      (a) =>
        a.id !== ignoreId &&
        a.providerId === providerId &&
        a.date === date &&
        holdsTime(a.status) &&
        overlaps(start, end, minutesOf(a.startTime), minutesOf(a.startTime) + a.durationMinutes),
    );
  }

  /** The time is bookable online by the provider's Online Booking Configuration. */
  #isBookableOnline(providerId: string, date: string, start: number, end: number, bookable: BookableTime) {
    const clinics = [...this.#clinics.values()].filter((c) => c.providerId === providerId && c.date === date);
    switch (bookable.kind) {
      case 'allUnbooked':
        return true;
      case 'unbookedNonClinic':
        return !clinics.some((c) => overlaps(start, end, minutesOf(c.start), minutesOf(c.end)));
      case 'clinic':
        return clinics.some(
          (c) =>
            normalised(c.name) === normalised(bookable.clinicName) &&
            start >= minutesOf(c.start) &&
            end <= minutesOf(c.end),
        );
    }
  }

  #patientFor(patient: CreateAppointmentRequest['patient']): string {
    if (patient.patientId && this.#patients.has(patient.patientId)) return patient.patientId;
    const existing = [...this.#patients.values()].find(
      (p) =>
        normalised(p.firstName) === normalised(patient.firstName) &&
        normalised(p.lastName) === normalised(patient.lastName) &&
        p.dateOfBirth === patient.dateOfBirth,
    );
    if (existing) return existing.id;
    const id = `PT${this.#nextPatientId++}`;
    this.#patients.set(id, {
      id,
      firstName: patient.firstName.trim(),
      lastName: patient.lastName.trim(),
      dateOfBirth: patient.dateOfBirth,
    });
    return id;
  }

  /**
   * An online booking: inserted as Pending for the reason's duration for this provider, when
   * that time is free and bookable online. A second create with the same `externalRef` answers
   * the live appointment it made (`created: false`).
   */
  createAppointment(request: CreateAppointmentRequest): {
    appointment: CreatedAppointment;
    created: boolean;
  } {
    const replay = [...this.#appointments.values()].find(
      (a) => a.externalRef === request.externalRef && holdsTime(a.status),
    );
    if (replay) return { appointment: createdView(replay), created: false };
    requireDate(request.date, 'date');
    if (!this.#providers.has(request.providerId)) {
      throw new SandboxError('PROVIDER_NOT_FOUND', `No provider ${request.providerId}`);
    }
    const online = this.#onlineBooking.get(request.providerId);
    if (!online) {
      throw new SandboxError(
        'PROVIDER_NOT_ONLINE',
        `${request.providerId} is not in the Online Booking Configuration`,
      );
    }
    const reason = this.#reasons.get(request.reasonId);
    if (!reason) throw new SandboxError('REASON_NOT_FOUND', `No booking reason ${request.reasonId}`);
    const link = reason.providers.find((p) => p.providerId === request.providerId);
    if (!link) {
      throw new SandboxError(
        'REASON_NOT_LINKED',
        `Booking reason ${reason.name} is not configured for provider ${request.providerId}`,
      );
    }
    const start = minutesOf(request.startTime);
    const end = start + link.durationMinutes;
    if (
      !this.#isFree(request.providerId, request.date, start, end) ||
      !this.#isBookableOnline(request.providerId, request.date, start, end, online.bookableTime)
    ) {
      throw new SandboxError(
        'TIME_NOT_AVAILABLE',
        `${request.date} ${request.startTime} for ${link.durationMinutes} minutes is not free for online booking`,
      );
    }
    const id = `AP${this.#nextAppointmentId++}`;
    const appointment: DiaryAppointment = {
      id,
      providerId: request.providerId,
      date: request.date,
      startTime: request.startTime,
      durationMinutes: link.durationMinutes,
      reasonId: reason.id,
      status: 'Pending',
      statusHistory: ['Pending'],
      patientId: this.#patientFor(request.patient),
      source: 'online',
      externalRef: request.externalRef,
      note: request.note ?? '',
    };
    this.#appointments.set(id, appointment);
    this.appointmentsCreated.push({
      appointmentId: id,
      providerId: request.providerId,
      date: request.date,
      startTime: request.startTime,
      externalRef: request.externalRef,
    });
    return { appointment: createdView(appointment), created: true };
  }

  /** Pending → Confirmed. Confirming an appointment past Pending changes nothing; a cancelled one is refused. */
  confirmAppointment(id: string): CreatedAppointment {
    const appointment = this.#appointments.get(id);
    if (!appointment) throw new SandboxError('APPOINTMENT_NOT_FOUND', `No appointment ${id}`);
    if (appointment.status === 'Cancelled') {
      throw new SandboxError('APPOINTMENT_CANCELLED', `Appointment ${id} was cancelled in Exact`);
    }
    if (appointment.status === 'Pending' || appointment.status === 'Unset')
      this.#setStatus(appointment, 'Confirmed');
    return createdView(appointment);
  }

  /** Reception books in Exact (any time, any reason or none, no online rules). */
  receptionBook(seed: AppointmentSeed): string {
    requireDate(seed.date, 'date');
    if (!this.#providers.has(seed.providerId)) {
      throw new SandboxError('PROVIDER_NOT_FOUND', `No provider ${seed.providerId}`);
    }
    const start = minutesOf(seed.startTime);
    if (!(Number.isInteger(seed.durationMinutes) && seed.durationMinutes > 0)) {
      throw new SandboxError('INVALID_PARAMETER', 'durationMinutes is a positive whole number');
    }
    const reasonId = seed.reasonId ?? null;
    if (reasonId !== null && !this.#reasons.has(reasonId)) {
      throw new SandboxError('REASON_NOT_FOUND', `No booking reason ${reasonId}`);
    }
    const status = seed.status ?? 'Confirmed';
    if (
      holdsTime(status) &&
      !this.#isFree(seed.providerId, seed.date, start, start + seed.durationMinutes, seed.id)
    ) {
      throw new SandboxError(
        'TIME_NOT_AVAILABLE',
        `${seed.date} ${seed.startTime} is not free in ${seed.providerId}'s book`,
      );
    }
    const id = seed.id ?? `AP${this.#nextAppointmentId++}`;
    this.#appointments.set(id, {
      id,
      providerId: seed.providerId,
      date: seed.date,
      startTime: seed.startTime,
      durationMinutes: seed.durationMinutes,
      reasonId,
      status,
      statusHistory: [status],
      patientId: seed.patientId ?? null,
      source: 'reception',
      externalRef: null,
      note: '',
    });
    return id;
  }

  /** Reception changes an appointment's status in Exact; Cancelled frees the time. */
  setAppointmentStatus(id: string, status: AppointmentStatus): DiaryAppointment {
    const appointment = this.#appointments.get(id);
    if (!appointment) throw new SandboxError('APPOINTMENT_NOT_FOUND', `No appointment ${id}`);
    if (!APPOINTMENT_STATUSES.includes(status)) {
      throw new SandboxError('INVALID_PARAMETER', `Status is one of ${APPOINTMENT_STATUSES.join(', ')}`);
    }
    const start = minutesOf(appointment.startTime);
    if (
      !holdsTime(appointment.status) &&
      holdsTime(status) &&
      !this.#isFree(appointment.providerId, appointment.date, start, start + appointment.durationMinutes, id)
    ) {
      throw new SandboxError(
        'TIME_NOT_AVAILABLE',
        `The time of ${id} has been booked since it was cancelled`,
      );
    }
    this.#setStatus(appointment, status);
    return structuredClone(appointment);
  }

  #setStatus(appointment: DiaryAppointment, status: AppointmentStatus): void {
    if (appointment.status === status) return;
    appointment.status = status;
    appointment.statusHistory.push(status);
  }

  appointment(id: string): DiaryAppointment | undefined {
    const appointment = this.#appointments.get(id);
    return appointment && structuredClone(appointment);
  }

  /** Every appointment, in the order they were made. */
  appointments(): DiaryAppointment[] {
    return structuredClone([...this.#appointments.values()]);
  }

  day(date: string): DiaryDay {
    requireDate(date, 'date');
    const schedule = this.schedule(date, date, '');
    return {
      date,
      workingDays: schedule.workingDays,
      clinics: schedule.clinics,
      appointments: this.appointments()
        .filter((a) => a.date === date)
        .sort((a, b) => a.providerId.localeCompare(b.providerId) || a.startTime.localeCompare(b.startTime)),
    };
  }
}

function createdView(appointment: DiaryAppointment): CreatedAppointment {
  const { statusHistory: _history, source: _source, note: _note, patientId, ...rest } = appointment;
  return { ...rest, patientId: patientId ?? '' };
}
