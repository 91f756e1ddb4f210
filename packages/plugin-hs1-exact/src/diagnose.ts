/**
 * HS1 Exact's own answers to "why isn't this slot offered?" for one practice-local date, read
 * from the practice's set-up and schedule: the provider in the Online Booking Configuration and
 * linked to the booking reason; the date within the provider's days ahead; the reason's duration
 * fitting the provider's online slots and free time; and how many slots Appointment Stacking
 * being off hides that day. When Exact cannot be read, one failing check says why.
 */
import { type DiagnoseInput, type DiagnosticCheck, type EhrContext, EhrError } from '@slotbridge/core/plugin';
import {
  fillsOnlineSlot,
  lastOnlineDate,
  type OnlineSlot,
  onlinePeriods,
  onlineSlots,
} from './availability.ts';
import { providerName } from './check-setup.ts';
import type { Hs1ExactClient } from './client.ts';
import type { Hs1ExactConnection } from './connection.ts';
import type { OnlineBookingProvider, OnlineBookingSetup } from './exact-api.ts';
import { type PracticeState, readPracticeState } from './schedule-read.ts';

const TITLES = {
  readable: 'Can slotbridge read the Exact set-up?',
  providerOnline: "Is the provider in Exact's Online Booking Configuration?",
  reasonLinked: 'Is the provider linked to the booking reason?',
  daysAhead: 'Is the date within the days ahead of the Online Booking Configuration?',
  durationFit: "Does the booking reason fit the provider's online slots and free time?",
  stacking: 'Is Appointment Stacking on?',
} as const;

function bookableTimeWords(online: OnlineBookingProvider): string {
  switch (online.bookableTime.kind) {
    case 'clinic':
      return `only the ${online.bookableTime.clinicName} clinic`;
    case 'unbookedNonClinic':
      return 'unbooked time outside clinics';
    case 'allUnbooked':
      return 'all unbooked time';
  }
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);
}

class Diagnosis {
  readonly #setup: OnlineBookingSetup;
  readonly #state: PracticeState;
  readonly #input: DiagnoseInput;

  constructor(state: PracticeState, input: DiagnoseInput) {
    this.#state = state;
    this.#setup = state.setup;
    this.#input = input;
  }

  #name(providerId: string): string {
    return providerName(
      this.#setup.providers.find((p) => p.id === providerId),
      providerId,
    );
  }

  /** The providers the question is about that are in the Online Booking Configuration. */
  get #onlineInScope(): OnlineBookingProvider[] {
    const asked = this.#input.ehrPractitionerId;
    return this.#setup.onlineBookingConfiguration.filter(
      (o) => asked === undefined || o.providerId === asked,
    );
  }

  get #reason() {
    const asked = this.#input.ehrSlotTypeId;
    return asked === undefined ? undefined : this.#setup.bookingReasons.find((r) => r.id === asked);
  }

  providerOnline(): DiagnosticCheck {
    const providerId = this.#input.ehrPractitionerId;
    const base = { id: 'hs1.provider-online', title: TITLES.providerOnline };
    if (providerId === undefined) {
      return { ...base, status: 'not_applicable', evidence: 'No provider was asked about.' };
    }
    const online = this.#setup.onlineBookingConfiguration.find((o) => o.providerId === providerId);
    if (!online) {
      return {
        ...base,
        status: 'fail',
        evidence: `${this.#name(providerId)} is not in the Online Booking Configuration, so none of their time is published.`,
        fix: `In Exact open Online Booking Configuration and add ${this.#name(providerId)} with the "+1" button.`,
      };
    }
    return {
      ...base,
      status: 'pass',
      evidence:
        `${this.#name(providerId)} is in the Online Booking Configuration: online slots of ${online.durationMinutes} ` +
        `minutes every ${online.intervalMinutes} minutes, ${bookableTimeWords(online)}, ${online.daysAhead} days ahead.`,
    };
  }

  reasonLinked(): DiagnosticCheck {
    const base = { id: 'hs1.reason-linked', title: TITLES.reasonLinked };
    const reasonId = this.#input.ehrSlotTypeId;
    if (reasonId === undefined) {
      return { ...base, status: 'not_applicable', evidence: 'No booking reason was asked about.' };
    }
    const reason = this.#reason;
    if (!reason) {
      return {
        ...base,
        status: 'fail',
        evidence: `Web Setup has no booking reason ${reasonId} any more.`,
        fix: 'Refresh the linked appointment types (discover) and map an existing booking reason.',
      };
    }
    const providerId = this.#input.ehrPractitionerId;
    if (providerId !== undefined) {
      const link = reason.providers.find((p) => p.providerId === providerId);
      return link
        ? {
            ...base,
            status: 'pass',
            evidence: `${reason.name} is configured for ${this.#name(providerId)} (${link.durationMinutes} minutes).`,
          }
        : {
            ...base,
            status: 'fail',
            evidence: `${reason.name} is not configured for ${this.#name(providerId)}.`,
            fix:
              `In Exact open Web Setup → ${reason.name} → Configure Providers and add ${this.#name(providerId)} ` +
              'with the "+1" button and an online duration.',
          };
    }
    const linked = this.#setup.onlineBookingConfiguration.filter((o) =>
      reason.providers.some((p) => p.providerId === o.providerId),
    );
    return linked.length > 0
      ? {
          ...base,
          status: 'pass',
          evidence: `${reason.name} is configured for ${linked.map((o) => this.#name(o.providerId)).join(', ')}.`,
        }
      : {
          ...base,
          status: 'fail',
          evidence: `${reason.name} is configured for no provider of the Online Booking Configuration.`,
          fix: `In Exact open Web Setup → ${reason.name} → Configure Providers and add the providers with "+1".`,
        };
  }

  daysAhead(): DiagnosticCheck {
    const base = { id: 'hs1.days-ahead', title: TITLES.daysAhead };
    const { date } = this.#input;
    const { clock } = this.#state;
    const scope = this.#onlineInScope;
    if (scope.length === 0) {
      return {
        ...base,
        status: 'not_applicable',
        evidence: 'No provider of the question is in the Online Booking Configuration.',
      };
    }
    if (date < clock.date) {
      return {
        ...base,
        status: 'fail',
        evidence: `${date} is before today at the practice (${clock.date}).`,
        fix: 'Ask about today or a later date.',
      };
    }
    const ahead = daysBetween(clock.date, date);
    const short = scope.filter((o) => date > lastOnlineDate(o, clock));
    if (short.length === 0) {
      return {
        ...base,
        status: 'pass',
        evidence: `${date} is ${ahead} day(s) ahead, within the days ahead of ${scope
          .map((o) => `${this.#name(o.providerId)} (${o.daysAhead})`)
          .join(', ')}.`,
      };
    }
    return {
      ...base,
      status: 'fail',
      evidence: `${date} is ${ahead} day(s) ahead, beyond the days ahead of ${short
        .map((o) => `${this.#name(o.providerId)} (${o.daysAhead}, up to ${lastOnlineDate(o, clock)})`)
        .join(', ')}.`,
      fix:
        `In Exact open Online Booking Configuration and raise Days ahead to at least ${ahead} for ` +
        `${short.map((o) => this.#name(o.providerId)).join(', ')}. slotbridge publishes no further than the ` +
        "practice's publishing horizon (30 days unless set higher, 90 at most).",
    };
  }

  durationFit(): DiagnosticCheck {
    const base = { id: 'hs1.duration-fit', title: TITLES.durationFit };
    const { date } = this.#input;
    const { schedule, clock } = this.#state;
    const reasons =
      this.#input.ehrSlotTypeId === undefined
        ? this.#setup.bookingReasons
        : [this.#reason].filter((r) => r !== undefined);
    const problems: string[] = [];
    const fits: string[] = [];
    let tooShort = false;
    for (const online of this.#onlineInScope) {
      const name = this.#name(online.providerId);
      const day = schedule.workingDays.find((d) => d.providerId === online.providerId && d.date === date);
      const periods = day
        ? onlinePeriods(day, schedule, online.bookableTime, date === clock.date ? clock.minutes : 0)
        : [];
      const longest = Math.max(0, ...periods.flatMap((p) => p.free.map(([start, end]) => end - start)));
      for (const reason of reasons) {
        const link = reason.providers.find((p) => p.providerId === online.providerId);
        if (!link) continue;
        if (!fillsOnlineSlot(link.durationMinutes, online)) {
          tooShort = true;
          problems.push(
            `${reason.name} is ${link.durationMinutes} minutes for ${name}, shorter than their ${online.durationMinutes}-minute ` +
              'online slots, so Exact does not show it',
          );
        } else if (!day) {
          problems.push(`${name} has no working hours on ${date}`);
        } else if (longest < link.durationMinutes) {
          problems.push(
            `${reason.name} needs ${link.durationMinutes} minutes with ${name}; their longest free online time on ${date} ` +
              `is ${longest} minutes`,
          );
        } else {
          fits.push(
            `${reason.name} (${link.durationMinutes} minutes) fits ${name}: longest free online time ${longest} minutes`,
          );
        }
      }
    }
    if (problems.length === 0 && fits.length === 0) {
      return {
        ...base,
        status: 'not_applicable',
        evidence: 'No booking reason of the question is linked to a provider of it.',
      };
    }
    if (problems.length === 0) return { ...base, status: 'pass', evidence: `${fits.join('; ')}.` };
    return {
      ...base,
      status: 'fail',
      evidence: `${[...problems, ...fits].join('; ')}.`,
      fix: tooShort
        ? 'In Exact open Web Setup → the booking reason → Configure Providers and, with "ed", make its online duration ' +
          'at least the duration in Online Booking Configuration. A reason longer than the free time only fits on ' +
          'days with a longer gap.'
        : 'The free time that day is shorter than the booking reason: another day, a shorter reason, or freeing time in ' +
          'the appointment book offers it.',
    };
  }

  stacking(): DiagnosticCheck {
    const base = { id: 'hs1.appointment-stacking', title: TITLES.stacking };
    const { date } = this.#input;
    const reasonId = this.#input.ehrSlotTypeId;
    const providerId = this.#input.ehrPractitionerId;
    const count = (stacking: boolean): number => {
      const wanted = (slot: OnlineSlot) =>
        (reasonId === undefined || slot.reasonId === reasonId) &&
        (providerId === undefined || slot.providerId === providerId);
      const times = onlineSlots({ ...this.#state, dates: [date], stacking })
        .filter(wanted)
        .map((slot) => `${slot.providerId} ${slot.startTime}`);
      return new Set(times).size;
    };
    const all = count(true);
    if (this.#setup.appointmentStacking) {
      return {
        ...base,
        status: 'pass',
        evidence: `Appointment Stacking is on: all ${all} available slot(s) on ${date} are published.`,
      };
    }
    const published = count(false);
    if (published === all) {
      return {
        ...base,
        status: 'pass',
        evidence: `Appointment Stacking is off, but it hides no slot on ${date} (${all} available).`,
      };
    }
    return {
      ...base,
      status: 'fail',
      evidence:
        `Appointment Stacking is off: on ${date} only ${published} of ${all} available slots are published (the first ` +
        `after each break); it hides ${all - published}.`,
      fix: 'In Exact open Web Setup and tick Appointment Stacking. Every available slot is then published.',
    };
  }
}

export async function diagnoseAvailability(
  client: Hs1ExactClient,
  ctx: EhrContext<Hs1ExactConnection>,
  input: DiagnoseInput,
): Promise<DiagnosticCheck[]> {
  let state: PracticeState;
  try {
    state = await readPracticeState(client, [input.date], ctx.signal);
  } catch (error) {
    if (!(error instanceof EhrError)) throw error;
    return [
      {
        id: 'hs1.exact-readable',
        title: TITLES.readable,
        status: 'fail',
        evidence: error.message,
        ...(error.fix !== undefined && { fix: error.fix }),
      },
    ];
  }
  const diagnosis = new Diagnosis(state, input);
  return [
    diagnosis.providerOnline(),
    diagnosis.reasonLinked(),
    diagnosis.daysAhead(),
    diagnosis.durationFit(),
    diagnosis.stacking(),
  ];
}
