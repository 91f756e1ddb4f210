/**
 * The HS1 Exact set-up checks, in the order of seed 003's set-up steps: the slug and API key;
 * the practice's own server reachable through HS1's cloud; the Online Booking Configuration;
 * Appointment Stacking; booking reasons; providers with no booking reason; the default reason
 * long enough to fit and covering the providers. A check that fails stops the ones that need it.
 */
import type { EhrContext, SetupCheck } from '@slotbridge/core/plugin';
import { fillsOnlineSlot, reasonsOf } from './availability.ts';
import { Hs1ExactClient } from './client.ts';
import type { Hs1ExactConnection } from './connection.ts';
import { type DefaultReason, defaultReasonOf, defaultReasonWhy } from './default-reason.ts';
import { HS1_ERRORS, isHs1Error } from './errors.ts';
import type { OnlineBookingSetup, Provider } from './exact-api.ts';

const TICK_STACKING = 'In Exact open Web Setup and tick Appointment Stacking.';

export function providerName(provider: Provider | undefined, id: string): string {
  if (!provider) return id;
  return [provider.title, provider.firstName, provider.lastName].join(' ').replace(/\s+/g, ' ').trim();
}

function names(setup: OnlineBookingSetup, ids: string[]): string {
  return ids
    .map((id) =>
      providerName(
        setup.providers.find((p) => p.id === id),
        id,
      ),
    )
    .join(', ');
}

function credentialsFailure(error: unknown, connection: Hs1ExactConnection): SetupCheck {
  const failed = (message: string, fix: string): SetupCheck => ({
    id: 'hs1.credentials',
    ok: false,
    severity: 'error',
    message,
    fix,
  });
  if (isHs1Error(error, 'HS1_ERR_SLUG')) {
    return failed(`HS1 knows no practice with the slug "${connection.slug}".`, HS1_ERRORS.HS1_ERR_SLUG.fix);
  }
  if (isHs1Error(error, 'HS1_ERR_API_KEY')) {
    return failed(
      `HS1 refused the API key for the slug "${connection.slug}".`,
      HS1_ERRORS.HS1_ERR_API_KEY.fix,
    );
  }
  if (isHs1Error(error, 'HS1_ERR_UNREACHABLE', 'HS1_ERR_TIMEOUT')) {
    return failed(
      `slotbridge could not reach HS1's online-booking API at ${connection.baseUrl}.`,
      'Check the API address. If it is right, HS1 may be down: try again in a few minutes.',
    );
  }
  return failed(
    'HS1 did not confirm the slug and API key.',
    'Try again in a few minutes. If it keeps failing, tell HS1 support.',
  );
}

function onlineBookingConfigurationCheck(setup: OnlineBookingSetup): SetupCheck {
  const id = 'exact.online-booking-configuration';
  const online = new Set(setup.onlineBookingConfiguration.map((o) => o.providerId));
  if (online.size === 0) {
    return {
      id,
      ok: false,
      severity: 'error',
      message: 'No provider is in the Online Booking Configuration, so nothing can be published.',
      fix:
        'In Exact open Online Booking Configuration and add every practitioner who takes online bookings with the ' +
        '"+1" button.',
    };
  }
  const linkedButMissing = setup.providers
    .map((p) => p.id)
    .filter((providerId) => !online.has(providerId))
    .filter((providerId) =>
      setup.bookingReasons.some((r) => r.providers.some((p) => p.providerId === providerId)),
    );
  if (linkedButMissing.length > 0) {
    return {
      id,
      ok: false,
      severity: 'warning',
      message:
        `${names(setup, linkedButMissing)} ${linkedButMissing.length === 1 ? 'has' : 'have'} booking reasons but ` +
        `${linkedButMissing.length === 1 ? 'is' : 'are'} not in the Online Booking Configuration, so none of ` +
        'their time is published.',
      fix: 'In Exact open Online Booking Configuration and add them with the "+1" button.',
    };
  }
  return {
    id,
    ok: true,
    severity: 'error',
    message: `${online.size} provider(s) are in the Online Booking Configuration: ${names(setup, [...online])}.`,
  };
}

function stackingCheck(setup: OnlineBookingSetup): SetupCheck {
  if (setup.appointmentStacking) {
    return {
      id: 'exact.appointment-stacking',
      ok: true,
      severity: 'warning',
      message: 'Appointment Stacking is on: every available slot is published.',
    };
  }
  return {
    id: 'exact.appointment-stacking',
    ok: false,
    severity: 'warning',
    message:
      'Appointment Stacking is off: only the first available slot after each break is published — typically one ' +
      'morning and one afternoon slot a day.',
    fix: `${TICK_STACKING} Every available slot is then published.`,
  };
}

function bookingReasonsCheck(setup: OnlineBookingSetup): SetupCheck {
  if (setup.bookingReasons.length === 0) {
    return {
      id: 'exact.booking-reasons',
      ok: false,
      severity: 'error',
      message: 'Web Setup has no booking reasons, so there is nothing to book online.',
      fix:
        'In Exact open Web Setup and create booking reasons with the "+1" button (for example one named ' +
        'Healthengine), then use Configure Providers on each to add the providers and their online durations.',
    };
  }
  return {
    id: 'exact.booking-reasons',
    ok: true,
    severity: 'error',
    message: `Web Setup has ${setup.bookingReasons.length} booking reason(s): ${setup.bookingReasons
      .map((r) => r.name)
      .join(', ')}.`,
  };
}

function providersWithoutReasonsCheck(setup: OnlineBookingSetup): SetupCheck {
  const without = setup.onlineBookingConfiguration
    .map((o) => o.providerId)
    .filter((providerId) => reasonsOf(setup.bookingReasons, providerId).length === 0);
  if (without.length === 0) {
    return {
      id: 'exact.providers-without-reasons',
      ok: true,
      severity: 'warning',
      message: 'Every provider in the Online Booking Configuration has at least one booking reason.',
    };
  }
  return {
    id: 'exact.providers-without-reasons',
    ok: false,
    severity: 'warning',
    message:
      `${names(setup, without)} ${without.length === 1 ? 'is' : 'are'} in the Online Booking Configuration but ` +
      'linked to no booking reason, so none of their time is published.',
    fix:
      'In Exact open Web Setup, choose a booking reason (for example Healthengine), click Configure Providers and ' +
      `add ${names(setup, without)} with the "+1" button and an online duration.`,
  };
}

function defaultReasonCheck(setup: OnlineBookingSetup, { reason, rule }: DefaultReason): SetupCheck {
  const intro = `The default booking reason is ${reason.name} (${defaultReasonWhy(rule)}).`;
  const tooShort: string[] = [];
  const notLinked: string[] = [];
  for (const online of setup.onlineBookingConfiguration) {
    const link = reason.providers.find((p) => p.providerId === online.providerId);
    const name = names(setup, [online.providerId]);
    if (!link) notLinked.push(name);
    else if (!fillsOnlineSlot(link.durationMinutes, online)) {
      tooShort.push(
        `${name}: ${link.durationMinutes} minutes, online slots of ${online.durationMinutes} minutes`,
      );
    }
  }
  if (tooShort.length === 0 && notLinked.length === 0) {
    return {
      id: 'exact.default-reason',
      ok: true,
      severity: 'warning',
      message: `${intro} It is configured for every provider and fits their online slots.`,
    };
  }
  const problems: string[] = [];
  const fixes: string[] = [];
  if (tooShort.length > 0) {
    problems.push(`It is too short to fit an online slot, so it is not shown, for ${tooShort.join('; ')}.`);
    fixes.push(
      `In Exact open Web Setup → ${reason.name} → Configure Providers and, with "ed", make its online duration at ` +
        'least the duration in Online Booking Configuration (the seed advice: longer than 30 minutes).',
    );
  }
  if (notLinked.length > 0) {
    problems.push(`It is not configured for ${notLinked.join(', ')}.`);
    fixes.push(`Add them to ${reason.name} with Configure Providers → "+1".`);
  }
  return {
    id: 'exact.default-reason',
    ok: false,
    severity: 'warning',
    message: `${intro} ${problems.join(' ')}`,
    fix: fixes.join(' '),
  };
}

export async function checkHs1ExactSetup(ctx: EhrContext<Hs1ExactConnection>): Promise<SetupCheck[]> {
  const client = new Hs1ExactClient(ctx.connection);
  const checks: SetupCheck[] = [];

  try {
    const practice = await client.getPractice(ctx.signal);
    checks.push({
      id: 'hs1.credentials',
      ok: true,
      severity: 'error',
      message: `HS1 accepts the slug and API key of ${practice.name}.`,
    });
  } catch (error) {
    checks.push(credentialsFailure(error, ctx.connection));
    return checks;
  }

  let setup: OnlineBookingSetup;
  try {
    setup = await client.getOnlineBookingSetup(ctx.signal);
    checks.push({
      id: 'hs1.practice-server',
      ok: true,
      severity: 'warning',
      message: "The practice's Exact server answers through HS1's cloud.",
    });
  } catch (error) {
    const offline = isHs1Error(error, 'HS1_ERR_PRACTICE_SERVER_OFFLINE');
    checks.push({
      id: 'hs1.practice-server',
      ok: false,
      // The slug and key are good: saving is safe, and syncs catch up when the server is back.
      severity: 'warning',
      message: offline
        ? "The practice's Exact server is offline: HS1's cloud cannot reach it, so the Exact set-up could not be checked."
        : "The practice's Exact set-up could not be read through HS1's cloud.",
      fix: offline
        ? `${HS1_ERRORS.HS1_ERR_PRACTICE_SERVER_OFFLINE.fix} Then run the checks again.`
        : 'Try again in a few minutes. If it keeps failing, tell HS1 support.',
    });
    return checks;
  }

  checks.push(onlineBookingConfigurationCheck(setup), stackingCheck(setup), bookingReasonsCheck(setup));
  // With no booking reason there is no default to check either.
  const defaultReason = defaultReasonOf(setup.bookingReasons);
  if (!defaultReason) return checks;
  checks.push(providersWithoutReasonsCheck(setup), defaultReasonCheck(setup, defaultReason));
  return checks;
}
