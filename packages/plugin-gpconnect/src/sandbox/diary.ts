/**
 * The sandbox provider's state: the practice (Organization), its locations, practitioners and
 * schedules, 10-minute slots, patients by NHS number, and appointments with versions. Times are
 * instants; the FHIR layer writes them in the practice's zone with the right offset.
 */
import { DateTime } from 'luxon';
import type { Appointment, Resource } from '../fhir.ts';
import { SandboxError } from './sandbox-error.ts';

export interface SandboxPractitioner {
  id: string;
  prefix: string;
  given: string;
  family: string;
  gender: 'male' | 'female' | 'other' | 'unknown';
  sdsUserId: string;
  roleCode: string;
  roleDisplay: string;
}

export interface SandboxLocation {
  id: string;
  name: string;
  line: string[];
  postalCode: string;
  phone: string;
}

export interface SandboxSchedule {
  id: string;
  practitionerId: string;
  locationId: string;
  serviceCategory: string;
}

export interface SandboxSlot {
  id: string;
  scheduleId: string;
  serviceType: string;
  deliveryChannel: string;
  start: Date;
  end: Date;
  /** busy: booked; blocked: reception closed it. Neither is offered. */
  status: 'free' | 'busy';
  blocked: boolean;
  versionId: string;
}

export interface SandboxPatient {
  id: string;
  nhsNumber: string;
  prefix: string;
  given: string;
  family: string;
  gender: 'male' | 'female' | 'other' | 'unknown';
  birthDate: string;
  phone: string;
}

export interface SandboxAppointment {
  id: string;
  versionId: string;
  resource: Appointment;
  slotIds: string[];
  patientId: string;
}

export interface SandboxOrganisation {
  id: string;
  odsCode: string;
  name: string;
}

/** A 10-digit NHS number from 9 digits with its modulus-11 check digit, or null when none is valid. */
export function nhsNumberOf(nine: string): string | null {
  const sum = [...nine].reduce((total, digit, index) => total + Number(digit) * (10 - index), 0);
  const check = 11 - (sum % 11);
  const digit = check === 11 ? 0 : check;
  return digit === 10 ? null : `${nine}${digit}`;
}

export class GpConnectDiary {
  organisation: SandboxOrganisation = { id: '1', odsCode: 'A81001', name: 'Demo Surgery' };
  readonly practitioners = new Map<string, SandboxPractitioner>();
  readonly locations = new Map<string, SandboxLocation>();
  readonly schedules = new Map<string, SandboxSchedule>();
  readonly slots = new Map<string, SandboxSlot>();
  readonly patients = new Map<string, SandboxPatient>();
  readonly appointments = new Map<string, SandboxAppointment>();
  #nextSlot = 1000;
  #nextAppointment = 1;
  #version = 1;

  constructor(readonly timeZone: string) {}

  clear(): void {
    for (const map of [
      this.practitioners,
      this.locations,
      this.schedules,
      this.slots,
      this.patients,
      this.appointments,
    ])
      map.clear();
  }

  nextVersion(): string {
    return String(this.#version++);
  }

  addSlot(
    slot: Omit<SandboxSlot, 'id' | 'versionId' | 'status' | 'blocked'> & Partial<SandboxSlot>,
  ): SandboxSlot {
    if (!this.schedules.has(slot.scheduleId))
      throw new SandboxError('REFERENCE_NOT_FOUND', 'no such schedule');
    const stored: SandboxSlot = {
      status: 'free',
      blocked: false,
      ...slot,
      id: slot.id ?? String(this.#nextSlot++),
      versionId: this.nextVersion(),
    };
    this.slots.set(stored.id, stored);
    return stored;
  }

  /** Puts a slot at a local date and time (HH:mm) on the first schedule of `serviceType`, or the first schedule. */
  placeSlot(input: {
    date: string;
    time: string;
    minutes: number;
    serviceType: string;
    deliveryChannel: string;
  }): SandboxSlot {
    const start = DateTime.fromISO(`${input.date}T${input.time}`, { zone: this.timeZone });
    if (!start.isValid) throw new SandboxError('INVALID_PARAMETER', 'date or time invalid');
    const schedule =
      [...this.slots.values()].find((s) => s.serviceType === input.serviceType)?.scheduleId ??
      [...this.schedules.keys()][0];
    if (!schedule) throw new SandboxError('REFERENCE_NOT_FOUND', 'the diary has no schedule');
    return this.addSlot({
      scheduleId: schedule,
      serviceType: input.serviceType,
      deliveryChannel: input.deliveryChannel,
      start: start.toJSDate(),
      end: start.plus({ minutes: input.minutes }).toJSDate(),
    });
  }

  slot(id: string): SandboxSlot {
    const slot = this.slots.get(id);
    if (!slot) throw new SandboxError('NO_RECORD_FOUND', `no slot ${id}`, 404);
    return slot;
  }

  /** Free slots lying wholly inside [start, end]. */
  freeSlots(start: Date, end: Date): SandboxSlot[] {
    return [...this.slots.values()]
      .filter((s) => s.status === 'free' && !s.blocked && s.start >= start && s.end <= end)
      .sort((a, b) => a.start.getTime() - b.start.getTime() || Number(a.id) - Number(b.id));
  }

  patientByNhsNumber(nhsNumber: string): SandboxPatient[] {
    return [...this.patients.values()].filter((p) => p.nhsNumber === nhsNumber);
  }

  /** Live (not cancelled) appointments holding the slot. */
  appointmentsIn(slotId: string): SandboxAppointment[] {
    return [...this.appointments.values()].filter(
      (a) => a.slotIds.includes(slotId) && a.resource.status !== 'cancelled',
    );
  }

  /** Stores a new appointment, marking its slots busy; refuses slots that are not free. */
  createAppointment(resource: Appointment, slotIds: string[], patientId: string): SandboxAppointment {
    for (const id of slotIds) {
      const slot = this.slots.get(id);
      if (!slot) throw new SandboxError('INVALID_RESOURCE', `Slot/${id} does not exist`);
      if (slot.status !== 'free' || slot.blocked)
        throw new SandboxError('DUPLICATE_REJECTED', `Slot/${id} is not free`);
    }
    const id = String(this.#nextAppointment++);
    const versionId = this.nextVersion();
    for (const slotId of slotIds) {
      const slot = this.slot(slotId);
      slot.status = 'busy';
      slot.versionId = this.nextVersion();
    }
    const stored: SandboxAppointment = {
      id,
      versionId,
      slotIds,
      patientId,
      resource: { ...resource, id, meta: { ...resource.meta, versionId } },
    };
    this.appointments.set(id, stored);
    return stored;
  }

  /** Replaces an appointment (a new version); a cancellation frees its slots. */
  replaceAppointment(id: string, resource: Appointment): SandboxAppointment {
    const stored = this.appointments.get(id);
    if (!stored) throw new SandboxError('NO_RECORD_FOUND', `no appointment ${id}`, 404);
    const versionId = this.nextVersion();
    const wasLive = stored.resource.status !== 'cancelled';
    stored.versionId = versionId;
    stored.resource = { ...resource, id, meta: { ...resource.meta, versionId } };
    if (wasLive && resource.status === 'cancelled') {
      for (const slotId of stored.slotIds) {
        const slot = this.slots.get(slotId);
        if (slot && this.appointmentsIn(slotId).length === 0) {
          slot.status = 'free';
          slot.versionId = this.nextVersion();
        }
      }
    }
    return stored;
  }

  contained(resource: Appointment): Resource[] {
    return resource.contained ?? [];
  }
}
