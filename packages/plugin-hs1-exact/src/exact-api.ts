/**
 * The HS1 Exact online-booking cloud API as the plugin and its sandbox speak it. The real wire
 * is not public: everything here is *modelled* (see the README), kept plausible: JSON over HTTPS,
 * the practice named by its slug in the path, the API key in the `x-api-key` header, and every
 * call but `GetPractice` relayed by the cloud to the practice's own Exact server. Dates are
 * practice-local `yyyy-mm-dd`, times practice-local wall-clock `HH:mm`.
 */

/** The header that carries the practice's API key. */
export const API_KEY_HEADER = 'x-api-key';

/** The longest schedule window one GetSchedule call returns, in calendar days counting both ends. */
export const MAX_SCHEDULE_DAYS = 31;

/** Exact's appointment statuses. Every one but Cancelled holds the time. */
export const APPOINTMENT_STATUSES = [
  'Unset',
  'Pending',
  'Confirmed',
  'Arrived',
  'InSurgery',
  'Completed',
  'DidNotAttend',
  'Cancelled',
] as const;

export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

/** `GET /v1/practices/{slug}` (answered by the cloud, never relayed). */
export interface CloudPractice {
  slug: string;
  practiceId: string;
  name: string;
  practiceServer: { status: 'online' | 'offline' };
}

export interface Provider {
  id: string;
  title: string;
  firstName: string;
  lastName: string;
  /** e.g. Dentist, Hygienist, Oral Health Therapist. */
  role: string;
}

/**
 * Which of a provider's time is bookable online (Online Booking Configuration):
 * only inside clinics of one name, any unbooked time outside clinics, or any unbooked time.
 */
export type BookableTime =
  | { kind: 'clinic'; clinicName: string }
  | { kind: 'unbookedNonClinic' }
  | { kind: 'allUnbooked' };

/** One provider's line in the Online Booking Configuration. */
export interface OnlineBookingProvider {
  providerId: string;
  /** The online appointment (slot) length, minutes. */
  durationMinutes: number;
  /** The provider's appointment-book interval: slots start on multiples of it from midnight, minutes. */
  intervalMinutes: number;
  bookableTime: BookableTime;
  /** How many days ahead of the practice's today online booking reaches. */
  daysAhead: number;
}

/** A booking reason of Web Setup, with the providers it is configured for. */
export interface BookingReason {
  id: string;
  name: string;
  /** The practice's marketing reason (the fallback default when no Healthengine reason exists). */
  marketing: boolean;
  /** Configure Providers: each linked provider with its online duration for this reason. */
  providers: { providerId: string; durationMinutes: number }[];
}

/** `GET /v1/practices/{slug}/online-booking/setup` (relayed). */
export interface OnlineBookingSetup {
  /** The practice server's local date-time, `yyyy-MM-ddTHH:mm:ss`. */
  serverTime: string;
  practice: { id: string; name: string };
  /** Web Setup → Appointment Stacking. */
  appointmentStacking: boolean;
  providers: Provider[];
  onlineBookingConfiguration: OnlineBookingProvider[];
  bookingReasons: BookingReason[];
}

export interface TimeRange {
  /** HH:mm */
  start: string;
  /** HH:mm */
  end: string;
}

/** A provider's working hours on one date, with its breaks. */
export interface WorkingDay {
  providerId: string;
  date: string;
  start: string;
  end: string;
  breaks: (TimeRange & { label: string })[];
}

/** A named clinic block in a provider's appointment book. */
export interface Clinic {
  id: string;
  providerId: string;
  date: string;
  start: string;
  end: string;
  name: string;
}

/** An appointment as the schedule lists it: no patient details. */
export interface ScheduledAppointment {
  id: string;
  providerId: string;
  date: string;
  startTime: string;
  durationMinutes: number;
  /** The booking reason, or null (an appointment made at reception without one). */
  reasonId: string | null;
  status: AppointmentStatus;
}

/** `GET /v1/practices/{slug}/schedule?from&to` (relayed). */
export interface Schedule {
  serverTime: string;
  from: string;
  to: string;
  workingDays: WorkingDay[];
  clinics: Clinic[];
  appointments: ScheduledAppointment[];
}

/** `POST /v1/practices/{slug}/appointments` body. */
export interface CreateAppointmentRequest {
  providerId: string;
  reasonId: string;
  date: string;
  startTime: string;
  /** Exact matches the patient by name and date of birth, or registers a new one. */
  patient: { firstName: string; lastName: string; dateOfBirth: string; patientId?: string };
  note?: string;
  /** The caller's id for the booking; a second create with the same one answers the first appointment. */
  externalRef: string;
}

/** What CreateAppointment and ConfirmAppointment answer. */
export interface CreatedAppointment extends ScheduledAppointment {
  patientId: string;
  externalRef: string | null;
}

/** Every error answer: `{ error: { code, message } }`. */
export interface ErrorBody {
  error: { code: string; message: string };
}
